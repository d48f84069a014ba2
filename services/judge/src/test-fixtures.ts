// Fixtures of the judge tests: a round manifest with a resolved run config and a generation shard
// in the generator's row format, written to the (emulated) bucket.
import type { ObjectStore } from '@sppo/cloud';
import { generationShardKey, manifestKey, parseRunConfig, toJsonl, type GenerationRow, type RoundManifest, type RunConfigInput } from '@sppo/core';

export function generationRow(promptId: string, prompt: string, responses: string[]): GenerationRow {
  return {
    prompt_id: promptId,
    prompt,
    prompt_text: prompt,
    responses,
    seeds: responses.map((_, k) => 50 * k),
    response_tokens: responses.map((r) => r.length),
    finish_reasons: responses.map(() => 'stop' as const),
  };
}

export async function seedRound(store: ObjectStore, run: string, config: RunConfigInput, shards: string[], round = 0): Promise<RoundManifest> {
  const manifest: RoundManifest = {
    run_id: run,
    round,
    checkpoint_key: `runs/${run}/checkpoints/${round}/`,
    shards: shards.map((_, i) => ({ shard: i, prompt_ids: [`p${i}`] })),
    created_at: '2026-01-01T00:00:00.000Z',
    config: parseRunConfig(config),
  };
  await store.putJson(manifestKey(run, round), manifest);
  for (const [i, text] of shards.entries()) await store.put(generationShardKey(run, round, i), text);
  return manifest;
}

export const jsonl = (rows: unknown[]): string => toJsonl(rows);
