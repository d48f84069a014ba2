/**
 * The run's prompt pool, runs/{run}/prompts/prompts.jsonl: one { prompt_id, prompt } a line, ids
 * unique (core's normalizePrompts). A run starts with the prompts of its config (inline, or a
 * JSONL or Parquet object the tenant uploaded under tenants/{tenant}/); POST
 * /v1/runs/{id}/prompts appends.
 * Rounds take prompts by position (core's planRound), so appending never changes what a started
 * round used, and later rounds reach the new prompts once the earlier ones are used up.
 */
import {
  normalizePrompts,
  parseJsonl,
  promptPoolRowSchema,
  promptsKey,
  toJsonl,
  ValidationError,
  type PoolPrompt,
  type PromptSource,
  type ValidationIssue,
} from '@sppo/core';
import type { RunStore } from '../ports.ts';
import { tenantObjectKey } from '../tenants.ts';
import { isParquet, readParquetPrompts } from './parquet.ts';

/** A prompt file bigger than this is refused (the gateway holds it in memory, Workers: 128 MB). */
export const MAX_PROMPT_FILE_BYTES = 32 * 1024 * 1024;

/** The prompts of a source, with stable ids; ids of entries without one continue from `offset`. */
export async function resolvePromptSource(
  source: PromptSource,
  { store, tenant, offset = 0, path = 'prompts' }: { store: RunStore; tenant: string; offset?: number; path?: string },
): Promise<{ prompt_id?: string; prompt: string }[]> {
  if (Array.isArray(source)) {
    return source.map((entry, i) => (typeof entry === 'string' ? { prompt_id: `p${offset + i}`, prompt: entry } : { prompt_id: entry.prompt_id ?? `p${offset + i}`, prompt: entry.prompt }));
  }
  const key = tenantObjectKey(tenant, source.key);
  if (key === null) {
    throw new ValidationError('prompt source', [
      { path: `${path}.key`, message: 'key must be a relative path of 1-8 segments of A-Z, a-z, 0-9, ".", "_", "-" (no leading "." or "-", no ".."), resolved under your tenant area tenants/{tenant}/' },
    ]);
  }
  const notFound = (): never => {
    throw new ValidationError('prompt source', [{ path: `${path}.key`, message: `no object "${source.key}" in your tenant area (s3 key ${key}): upload the JSONL or Parquet file there first` }]);
  };
  const checkSize = (size: number): void => {
    if (size > MAX_PROMPT_FILE_BYTES) {
      throw new ValidationError('prompt source', [{ path: `${path}.key`, message: `the prompt file is over ${MAX_PROMPT_FILE_BYTES} bytes: split it and add the rest with POST /v1/runs/{id}/prompts` }]);
    }
  };
  const subject = `prompt file ${source.key}`;
  // Bytes, not text: decoding UTF-8 would mangle a binary Parquet file beyond recovery.
  const bytes = (await store.getBytes(key)) ?? notFound();
  checkSize(bytes.byteLength);
  // TextDecoder drops a UTF-8 BOM, as Response.text() does.
  const rows = isParquet(source.key, bytes) ? await readParquetPrompts(bytes, { subject }) : parseJsonl(new TextDecoder().decode(bytes), promptPoolRowSchema, { subject });
  if (rows.length === 0) throw new ValidationError('prompt source', [{ path: `${path}.key`, message: 'the prompt file has no prompts' }]);
  return rows.map((row, i) => ({ prompt_id: row.prompt_id ?? `p${offset + i}`, prompt: row.prompt }));
}

/**
 * `existing` + `added` as one pool, checking ids are unique; issue paths point into `added`
 * (`prompts[3].prompt_id`), the part the user just sent.
 */
export function mergePool(existing: readonly PoolPrompt[], added: readonly { prompt_id?: string; prompt: string }[]): PoolPrompt[] {
  try {
    return normalizePrompts([...existing, ...added]);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const issues: ValidationIssue[] = error.issues.map((issue) => ({
      ...issue,
      path: issue.path.replace(/^prompts\[(\d+)\]/, (_, n: string) => `prompts[${Number(n) - existing.length}]`),
      message: issue.message.replace(/prompts\[(\d+)\]/g, (_, n: string) => (Number(n) < existing.length ? `the run's prompt ${Number(n)}` : `prompts[${Number(n) - existing.length}]`)),
    }));
    throw new ValidationError('prompts', issues);
  }
}

export async function readPool(store: RunStore, runId: string): Promise<PoolPrompt[]> {
  const key = promptsKey(runId);
  const text = await store.getText(key);
  if (text === null) return [];
  return parseJsonl(text, promptPoolRowSchema, { subject: `prompt pool ${key}` }).map((row, i) => ({ prompt_id: row.prompt_id ?? `p${i}`, prompt: row.prompt }));
}

export async function writePool(store: RunStore, runId: string, pool: readonly PoolPrompt[]): Promise<void> {
  await store.put(promptsKey(runId), toJsonl(pool.map((p) => ({ prompt_id: p.prompt_id, prompt: p.prompt }))), 'application/x-ndjson');
}
