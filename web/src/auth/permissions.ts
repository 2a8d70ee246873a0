// Who sees which page and who may write, mirroring the server's route roles (platform-admin
// passes every check there). The server still decides; this only keeps the UI honest.
import type { Role } from '../api/types';

export type Resource = 'overview' | 'tenants' | 'parks' | 'enterprises' | 'users' | 'apikeys' | 'profiles' | 'devices'
  | 'alarms' | 'rulechains' | 'developer' | 'metering' | 'market' | 'appreviews' | 'appupload' | 'appruns' | 'apps' | 'models'
  | 'analysis' | 'park-dashboard' | 'indicators' | 'solutions'
  | 'declaration';

const VIEW: Record<Resource, Role[] | 'all'> = {
  overview: 'all',
  tenants: ['platform-admin'],
  parks: ['platform-admin', 'tenant-admin', 'park-admin'],
  enterprises: 'all',
  users: ['platform-admin', 'tenant-admin', 'park-admin', 'enterprise-admin'],
  apikeys: ['platform-admin', 'tenant-admin', 'park-admin', 'enterprise-admin', 'engineer', 'developer'],
  profiles: 'all',
  devices: 'all',
  alarms: 'all',
  rulechains: ['platform-admin', 'tenant-admin'],
  developer: ['developer'],
  metering: ['platform-admin', 'tenant-admin'],
  market: 'all',
  appreviews: ['platform-admin'],
  appupload: ['developer', 'tenant-admin'],
  appruns: ['platform-admin', 'tenant-admin', 'enterprise-admin', 'developer'],
  apps: ['tenant-admin', 'park-admin', 'enterprise-admin', 'engineer', 'viewer', 'developer'], // APPs act for an enterprise of a tenant
  models: 'all',
  analysis: 'all', // each sees the enterprises of their scope
  'park-dashboard': ['platform-admin', 'tenant-admin', 'park-admin'],
  indicators: ['platform-admin', 'tenant-admin'],
  solutions: 'all',
  declaration: ['platform-admin'],
};

const WRITE: Record<Resource, Role[]> = {
  overview: [],
  tenants: ['platform-admin'],
  parks: ['platform-admin', 'tenant-admin'],
  enterprises: ['platform-admin', 'tenant-admin', 'park-admin'],
  users: ['platform-admin', 'tenant-admin', 'park-admin', 'enterprise-admin'],
  apikeys: ['tenant-admin', 'park-admin', 'enterprise-admin', 'engineer', 'developer'],
  profiles: ['platform-admin', 'tenant-admin', 'enterprise-admin', 'engineer'],
  devices: ['platform-admin', 'tenant-admin', 'park-admin', 'enterprise-admin', 'engineer'],
  alarms: ['platform-admin', 'tenant-admin', 'park-admin', 'enterprise-admin', 'engineer'],
  rulechains: ['platform-admin', 'tenant-admin'],
  developer: ['developer'],
  metering: [],
  market: ['tenant-admin', 'enterprise-admin'], // subscribe / unsubscribe
  appreviews: ['platform-admin'],
  appupload: ['developer', 'tenant-admin'],
  appruns: [],
  apps: ['tenant-admin', 'park-admin', 'enterprise-admin', 'engineer', 'viewer', 'developer'],
  models: ['tenant-admin', 'engineer', 'developer'],
  analysis: ['platform-admin', 'tenant-admin', 'park-admin'], // supply links
  'park-dashboard': [],
  indicators: [],
  solutions: ['platform-admin'],
  declaration: ['platform-admin'],
};

export function canView(role: Role | null, r: Resource): boolean {
  if (!role) return false;
  const v = VIEW[r];
  return v === 'all' || v.includes(role);
}

export function canWrite(role: Role | null, r: Resource): boolean {
  return !!role && WRITE[r].includes(role);
}

// Roles a user may hand out (the server's may_grant: the enum order, own rank and below).
const RANK: Role[] = ['platform-admin', 'tenant-admin', 'park-admin', 'enterprise-admin', 'engineer', 'viewer', 'developer'];
export function grantableRoles(role: Role | null): Role[] {
  if (!role) return [];
  if (role === 'platform-admin') return RANK;
  return RANK.slice(RANK.indexOf(role));
}
