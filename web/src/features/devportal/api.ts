// Developer portal API: registration, verification, the developer's sandbox and the docs.
import { useQuery } from '@tanstack/react-query';
import { call, client, unwrap } from '../../api/client';

export interface Registered { id: string; email: string; status: 'pending'; tokenExpiresAt: number }
export interface Verified { status: 'verified'; username: string; tenantId: string; enterpriseId: string }
export interface DeveloperAccount {
  id: string; email: string; name: string; organisation: string; userId: string; tenantId: string;
  enterpriseId: string; verifiedAt: number;
}
export interface SandboxDevice {
  id: string; name: string; category: string; lastTs: number;
  latest: Record<string, { ts: number; value: number | string | boolean | null }>;
}
export interface DocOperation {
  method: string; path: string; summary: string; public: boolean; roles?: string[];
}
export interface DocTag { name: string; operations: DocOperation[] }

// The public forms go through call() (plain fetch, stubbed in the form tests); the signed-in
// queries below use the generated client, which checks paths against the OpenAPI document.
export const registerDeveloper = (v: { email: string; name: string; password: string; organisation?: string }) =>
  call<Registered>('POST', '/api/v1/developers/register', v);
export const verifyToken = (token: string) => call<Verified>('POST', '/api/v1/developers/verify', { token });
export const resendVerification = (email: string) => call<{ status: string }>('POST', '/api/v1/developers/resend', { email });

export function useDeveloper() {
  return useQuery({ queryKey: ['developers', 'me'], queryFn: async () => (await unwrap(client.GET('/api/v1/developers/me'))) as DeveloperAccount });
}

// Opening the sandbox view is one metered tool call; live values then come from the ordinary
// telemetry route (not metered), so watching the page does not inflate the developer's usage.
export function useSandboxDevices() {
  return useQuery({
    queryKey: ['developers', 'me', 'devices'],
    queryFn: async () => (await unwrap(client.GET('/api/v1/developers/me/devices'))) as { tenantId: string; items: SandboxDevice[] },
    staleTime: Infinity,
  });
}

export function useLatest(deviceId: string) {
  return useQuery({
    queryKey: ['devices', deviceId, 'latest'],
    queryFn: () => call<SandboxDevice['latest']>('GET', `/api/v1/devices/${deviceId}/telemetry/latest`),
    refetchInterval: 2000,
  });
}

export function useDocs() {
  return useQuery({ queryKey: ['developers', 'docs'], queryFn: async () => (await unwrap(client.GET('/api/v1/developers/docs'))) as { tags: DocTag[] }, staleTime: Infinity });
}
