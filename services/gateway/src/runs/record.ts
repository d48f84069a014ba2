/**
 * runs/{run}/run.json, the run record the gateway writes once at creation:
 *
 *   { run_id, tenant, created_at, config }
 *
 * `config` is the RESOLVED run config (core's runConfigSchema output) with two resolutions made
 * once so every round agrees: `prompts` points at the run's own pool ({ key: promptsKey(run) }),
 * and `prompts_per_iteration` = 0 is replaced by floor(pool size / num_iterations), which fixes the
 * shard count of every round even when prompts are added later. Readers take `record.config`.
 *
 * Also here: the run status record (core's runStatusRecordSchema) and runs/{run}/summary.json,
 * the completion summary (core's runSummaryKey).
 */
import { z } from 'zod';
import {
  parseRunConfig,
  roundShardCount,
  runConfigKey,
  runConfigSchema,
  runIdSchema,
  runStatusKey,
  runStatusRecordSchema,
  runSummaryKey,
  type RunConfig,
  type RunStatusRecord,
} from '@sppo/core';
import { tenantSchema } from '../tenants.ts';
import type { RunStore } from '../ports.ts';

export const runRecordSchema = z.object({
  run_id: runIdSchema,
  tenant: tenantSchema,
  created_at: z.iso.datetime({ offset: true }),
  config: runConfigSchema,
  /** How many evaluation prompts runs/{run}/eval/prompts.jsonl holds (issue 21); absent: no evaluation, or counted on read. */
  eval_prompt_count: z.number().int().min(0).optional(),
});
export type RunRecord = z.output<typeof runRecordSchema>;

/** runs/{run}/summary.json (core's runSummaryKey): written when the last round's checkpoint completes the run. */
export const summaryKey = runSummaryKey;

/** Shards per round: ceil(prompts_per_iteration / prompts_per_shard) (core's roundShardCount). */
export function shardsPerRound(config: RunConfig, poolSize: number): number {
  return roundShardCount({
    poolSize: Math.max(1, poolSize),
    numIterations: config.num_iterations,
    promptsPerIteration: config.prompts_per_iteration,
    promptsPerShard: config.prompts_per_shard,
  });
}

/** Stored JSON that no longer parses is our bug or tampering, not the user's: an internal error. */
export class CorruptRecordError extends Error {
  override readonly name = 'CorruptRecordError';
  constructor(key: string, detail: string) {
    super(`s3 object ${key} is not a valid record: ${detail}`);
  }
}

function parseStored<S extends z.ZodType>(key: string, text: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CorruptRecordError(key, `not JSON (${(error as Error).message})`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new CorruptRecordError(key, result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return result.data;
}

export async function readRunRecord(store: RunStore, runId: string): Promise<RunRecord | null> {
  const key = runConfigKey(runId);
  const text = await store.getText(key);
  if (text === null) return null;
  const record = parseStored(key, text, runRecordSchema);
  // Re-validate through the one config parser so defaults added by newer schemas are filled.
  return { ...record, config: parseRunConfig(record.config) };
}

export async function readStatus(store: RunStore, runId: string): Promise<RunStatusRecord | null> {
  const key = runStatusKey(runId);
  const text = await store.getText(key);
  return text === null ? null : parseStored(key, text, runStatusRecordSchema);
}

export async function readJson<S extends z.ZodType>(store: RunStore, key: string, schema: S): Promise<z.output<S> | null> {
  const text = await store.getText(key);
  return text === null ? null : parseStored(key, text, schema);
}

export async function writeStatus(store: RunStore, record: RunStatusRecord): Promise<void> {
  await store.put(runStatusKey(record.run_id), `${JSON.stringify(record)}\n`, 'application/json');
}
