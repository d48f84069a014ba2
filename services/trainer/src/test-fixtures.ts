/**
 * Fixtures of the trainer tests: a tiny checkpoint the project makes itself (BPE tokenizer on the
 * synthetic corpus + random-init Llama), uploaded as checkpoint 0 of a run, a round-0 manifest and
 * triplet shards in the official pair format. Not exported.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadFolder, type ObjectStore } from '@sppo/cloud';
import { checkpointPrefix, manifestKey, parseRunConfig, toJsonl, tripletShardKey, type PairTripletRow, type RunConfigInput } from '@sppo/core';
import { initializeWeights, presetConfig, syntheticCorpus, trainBpeTokenizer, TRAINING_PRESETS, writeCheckpoint, type LlamaConfig } from '@sppo/model';

export const tinyTokenizerFiles = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 200 }), vocabSize: 320 });
export const tinyConfig: LlamaConfig = { ...presetConfig('tiny', { vocabSize: 320 }), hidden_size: 32, intermediate_size: 64, head_dim: 8 };
export const tinyWeights = initializeWeights(tinyConfig, { seed: 1 });

/** Writes the tiny checkpoint into `dir` (packages/model's writeCheckpoint: its record as _COMPLETE). */
export async function writeBaseFolder(dir: string): Promise<void> {
  await writeCheckpoint(dir, { config: tinyConfig, weights: tinyWeights, ...tinyTokenizerFiles });
}

/** Writes the tiny checkpoint locally, then uploads it as checkpoints/{t}/ with _COMPLETE last. */
export async function uploadBaseCheckpoint(store: ObjectStore, run: string, t = 0): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sppo-trainer-base-'));
  try {
    await writeCheckpoint(join(dir, 'ck'), { config: tinyConfig, weights: tinyWeights, ...tinyTokenizerFiles });
    await uploadFolder(store, join(dir, 'ck'), checkpointPrefix(run, t), { lastFile: '_COMPLETE' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function pairRows(n: number, offset = 0): PairTripletRow[] {
  const docs = syntheticCorpus({ documents: 2 * (n + offset), seed: 9 });
  return Array.from({ length: n }, (_, j) => {
    const i = j + offset;
    const prompt = `Question ${i}: say something`;
    const msg = (content: string) => [
      { role: 'user' as const, content: prompt },
      { role: 'assistant' as const, content },
    ];
    return {
      prompt_id: `p${i}`,
      prompt,
      responses: ['a', 'b'],
      probability: [[0.5, 0.7], [0.3, 0.5]],
      rm_scores: [1, 0],
      chosen: msg((docs[2 * i] as string).slice(0, 40)),
      rejected: msg((docs[2 * i + 1] as string).slice(0, 40)),
      chosen_probs: 0.7,
      chosen_probs_win: 0.62 + 0.01 * (i % 5),
      chosen_probs_lose: 0.38 - 0.01 * (i % 5),
    };
  });
}

/** Training settings that move the tiny model in a few steps: 2 shards x 4 pairs, batch 4, 2 epochs = 4 steps. */
export const TEST_TRAINING: RunConfigInput = { ...TRAINING_PRESETS.tiny, beta: 0.1, num_train_epochs: 2, save_steps: 2, per_device_train_batch_size: 4 };

/** Round 0 of `run`: manifest (checkpoint_key overridable), two triplet shards (overridable rows) and, unless told otherwise, checkpoint 0. */
export async function seedRound(
  store: ObjectStore,
  run: string,
  { shards = [pairRows(4), pairRows(4, 4)] as unknown[][], withCheckpoint = true, training = TEST_TRAINING, checkpointKey = checkpointPrefix(run, 0) } = {},
): Promise<void> {
  const config = parseRunConfig(training);
  await store.putJson(manifestKey(run, 0), {
    run_id: run,
    round: 0,
    checkpoint_key: checkpointKey,
    shards: shards.map((rows, shard) => ({ shard, prompt_ids: rows.map((_, i) => `p${shard}-${i}`) })),
    created_at: new Date().toISOString(),
    config,
  });
  for (const [shard, rows] of shards.entries()) await store.put(tripletShardKey(run, 0, shard), toJsonl(rows));
  if (withCheckpoint) await uploadBaseCheckpoint(store, run);
}
