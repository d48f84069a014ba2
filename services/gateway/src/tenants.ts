/**
 * Tenants, API keys and run ids. Every run belongs to one tenant, and its id starts with the
 * tenant's name: `{tenant}--{yyyymmdd}-{hhmmss}-{8 hex}`. Listing a tenant's runs is then one S3
 * listing of `runs/{tenant}--` (no index object to keep in sync, no scan of other tenants' runs),
 * and ids sort by creation time. Tenant names cannot contain "--" nor end with "-", so one
 * tenant's prefix never matches another's runs; run.json's `tenant` is checked as well.
 */
import { z } from 'zod';
import { runIdSchema } from '@sppo/core';

export const TENANT_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_TENANT_LENGTH = 24;

export const tenantSchema = z
  .string()
  .max(MAX_TENANT_LENGTH, { message: `tenant names have at most ${MAX_TENANT_LENGTH} characters` })
  .regex(TENANT_PATTERN, { message: 'tenant names are a-z and 0-9 in groups joined by single "-" (e.g. "acme" or "team-7")' });

/** One entry of SPPO_API_KEYS: keys are stored only as their SHA-256 (hex). */
export const apiKeyEntrySchema = z.strictObject({
  tenant: tenantSchema,
  key_sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { message: 'key_sha256 must be the 64 hex digits of SHA-256(key), e.g. from `printf %s "$KEY" | sha256sum`' })
    .transform((hex) => hex.toLowerCase()),
});
export type ApiKeyEntry = z.output<typeof apiKeyEntrySchema>;
export const apiKeysSchema = z.array(apiKeyEntrySchema).min(1, { message: 'give at least one { tenant, key_sha256 } entry' });

/** SHA-256 of an API key as lower-case hex (Web Crypto: the same on Node and Workers). */
export async function hashApiKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compares two equal-length hex digests without an early exit. */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The tenant owning `key`, or null when the key is unknown. */
export async function tenantForKey(key: string, entries: readonly ApiKeyEntry[]): Promise<string | null> {
  return tenantForDigest(await hashApiKey(key), entries);
}

/** The tenant owning the key whose SHA-256 (hex) is `digest`, or null. */
export function tenantForDigest(digest: string, entries: readonly ApiKeyEntry[]): string | null {
  let tenant: string | null = null;
  for (const entry of entries) if (sameDigest(digest, entry.key_sha256)) tenant = entry.tenant;
  return tenant;
}

/** `runs/{tenant}--`: the S3 prefix of every run of a tenant. */
export function tenantRunPrefix(tenant: string): string {
  return `runs/${tenantSchema.parse(tenant)}--`;
}

/** True when `runId` was minted for `tenant`. */
export function runBelongsTo(runId: string, tenant: string): boolean {
  return runId.startsWith(`${tenant}--`);
}

/** A new run id for `tenant`, sortable by creation time. */
export function mintRunId(tenant: string, now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-01-31T12:00:00.000Z
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('');
  return runIdSchema.parse(`${tenantSchema.parse(tenant)}--${stamp}-${random}`);
}

// A user's own objects (e.g. a prompt JSONL they uploaded) live under `tenants/{tenant}/`; the
// `{ key }` a user gives is resolved there, segment by segment, so it can never name another
// tenant's object or a run's artefact.
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** `tenants/{tenant}/{key}` for a validated relative key; null when the key is not acceptable. */
export function tenantObjectKey(tenant: string, key: string): string | null {
  const segments = key.split('/');
  if (key.length > 512 || segments.length > 8) return null;
  if (!segments.every((segment) => SEGMENT.test(segment) && !segment.includes('..'))) return null;
  return `tenants/${tenantSchema.parse(tenant)}/${key}`;
}
