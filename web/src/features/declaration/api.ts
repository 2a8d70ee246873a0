// The 双跨 declaration export (platform admins): generate the DOCX + XLSX set for a year, then
// download each file with the session's token.
import { useMutation } from '@tanstack/react-query';
import { call, getToken, toApiError } from '../../api/client';

import type { operations } from '../../api/schema';

// The response of POST /api/v1/platform/declaration, from the generated OpenAPI types.
export type Declaration = operations['POST /api/v1/platform/declaration']['responses'][201]['content']['application/json'];
export type DeclarationFile = Declaration['files'][number];

export function useGenerateDeclaration() {
  return useMutation({
    mutationFn: (year: number) => call<Declaration>('POST', '/api/v1/platform/declaration', { year }),
  });
}

// The years a declaration can be made for: this one and the four before it.
export function declarationYears(now: Date = new Date()): number[] {
  const y = now.getUTCFullYear();
  return [y, y - 1, y - 2, y - 3, y - 4];
}

export function fileKind(name: string): 'docx' | 'xlsx' | 'other' {
  if (name.endsWith('.docx')) return 'docx';
  if (name.endsWith('.xlsx')) return 'xlsx';
  return 'other';
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// Fetches a file with the session and hands it to the browser under its name.
export async function downloadDeclarationFile(f: DeclarationFile): Promise<void> {
  const token = getToken();
  const res = await fetch(f.url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw await toApiError(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = f.name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
