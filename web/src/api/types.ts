// Entity shapes as the API returns them (see src/api/json_io.cpp on the server).
export type Role =
  | 'platform-admin'
  | 'tenant-admin'
  | 'park-admin'
  | 'enterprise-admin'
  | 'engineer'
  | 'viewer'
  | 'developer';

export const ROLES: Role[] = ['platform-admin', 'tenant-admin', 'park-admin', 'enterprise-admin', 'engineer', 'viewer', 'developer'];
export const CATEGORIES = ['running', 'processing', 'mobile', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];
export const PROTOCOLS = ['mqtt', 'http', 'modbus-tcp', 'modbus-rtu', 'opcua', 'dlt645', 'hj212', 'influx', 'sparkplug', 's7', 'bacnet', 'iec104', 'other'];
export const PARK_LEVELS = ['national', 'provincial', 'municipal', 'other'];
// MIIT 2022 双跨 application form, annex 2 (server: model::industries()).
export const INDUSTRIES = ['煤炭/黑色金属矿开采/石油天然气开采', '黑色金属', '有色金属', '石化化工', '建材', '医药', '纺织', '家电', '食品', '烟草', '轻工', '机械', '汽车', '航空/航天', '船舶', '轨道交通', '电子', '电力', '热力和燃气', '建筑业', '农业', '服务业'];

export interface Tenant { id: string; name: string; description: string; createdAt: number }
export interface Park { id: string; tenantId: string; name: string; region: string; level: string; address: string; createdAt: number }
export interface Enterprise {
  id: string; tenantId: string; parkId: string | null; name: string; creditCode: string; industry: string;
  sme: boolean; paid: boolean; address: string; longitude: number | null; latitude: number | null; createdAt: number;
}
export interface User {
  id: string; tenantId: string | null; parkId: string | null; enterpriseId: string | null; username: string;
  displayName: string; role: Role; disabled: boolean; createdAt: number; lastLoginAt: number | null;
}
export interface ApiKey {
  id: string; tenantId: string; enterpriseId: string | null; userId: string; name: string; role: Role; prefix: string;
  createdAt: number; lastUsedAt: number | null; expiresAt: number | null; key?: string;
}
export interface Profile { id: string; tenantId: string; name: string; description: string; thingModel: ThingModel; createdAt: number; updatedAt: number }
export interface ThingModel { properties?: ThingProperty[]; events?: unknown[]; services?: unknown[] }
export interface ThingProperty { identifier: string; name?: string; type: string; unit?: string; min?: number; max?: number; access?: string }
export interface Device {
  id: string; tenantId: string; enterpriseId: string; profileId: string | null; name: string; category: Category;
  protocol: string; isGateway: boolean; gatewayId: string | null; label: string; accessToken?: string;
  createdAt: number; lastSeenAt: number | null; online: boolean;
}
export interface Point { ts: number; value: number | string | boolean | null }
export interface Overview {
  devices: number; online: number; activeLast24h: number; gateways: number; enterprises: number; parks: number;
  profiles: number; byCategory: Record<string, number>; byProtocol: Record<string, number>;
  samplesIngested: number | null; time: number;
}
export interface Me {
  username: string; role: Role; tenantId: string | null; parkId: string | null; enterpriseId: string | null;
  viaApiKey: boolean; user?: User;
}
export const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const ALARM_STATUSES = ['active', 'acknowledged', 'cleared-unacknowledged', 'cleared'] as const;
export type AlarmStatus = (typeof ALARM_STATUSES)[number];
export interface Alarm {
  id: string; tenantId: string; deviceId: string; enterpriseId: string; parkId: string; type: string; severity: Severity;
  status: AlarmStatus; acknowledged: boolean; cleared: boolean; startTs: number; lastTs: number; count: number;
  ackTs: number; ackBy: string; clearTs: number; clearBy: string; details: unknown; updatedTs: number;
}
export interface AlarmHistoryEntry { id: string; alarmId: string; ts: number; action: string; actor: string; severity: Severity; detail: unknown }
export interface AlarmCounts { total: number; bySeverity: Record<Severity, number>; byStatus: Record<AlarmStatus, number> }
export interface RuleNode { id: string; type: string; name?: string; params?: Record<string, unknown>; next?: Record<string, string[]> }
export interface RuleChainDefinition { root?: string; nodes: RuleNode[] }
export interface RuleChain {
  id: string; tenantId: string; name: string; description: string; enabled: boolean; version: number;
  definition: RuleChainDefinition; updatedBy: string; createdAt: number; updatedAt: number;
}
export interface DryRunStep { nodeId: string; type: string; input: unknown; output: unknown; relation: string; error: string | null; next: string[] }
export interface DryRunResult { chainId: string; version: number; steps: DryRunStep[]; actions: { kind: string; detail: unknown }[] }
