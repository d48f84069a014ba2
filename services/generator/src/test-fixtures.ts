/**
 * Fixtures of the generator's tests (not exported): a tiny random checkpoint written with the
 * model package's public API, and a run seeded into a test cloud (prompt pool, round manifest,
 * checkpoint 0 uploaded with `_COMPLETE` last), as the gateway leaves it before it enqueues
 * generate tasks.
 */
import { randomUUID } from 'node:crypto';
import { silentLogger, type HandlerContext, type ObjectStore, type ReceivedMessage } from '@sppo/cloud';
import {
  checkpointPrefix,
  COMPLETE_MARKER,
  manifestKey,
  parseRunConfig,
  promptsKey,
  runConfigKey,
  toJsonl,
  type RoundManifest,
  type RunConfigInput,
} from '@sppo/core';
import { buildGenerationModel, initializeWeights, presetConfigForTokenizer, createTokenizer, syntheticCorpus, trainBpeTokenizer, writeCheckpoint } from '@sppo/model';

export interface TinyCheckpointOptions {
  seed?: number;
  maxPositionEmbeddings?: number;
}

/** A 'tiny' preset with our BPE tokenizer; a wide initializer keeps greedy choices off ties. */
export async function writeTinyCheckpoint(dir: string, { seed = 5, maxPositionEmbeddings = 512 }: TinyCheckpointOptions = {}): Promise<void> {
  const { tokenizerJson, tokenizerConfig } = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 200 }), vocabSize: 320 });
  const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig);
  const config = { ...presetConfigForTokenizer('tiny', tokenizer, { maxPositionEmbeddings }), initializer_range: 0.2 };
  const weights = initializeWeights(config, { seed });
  await writeCheckpoint(dir, { config, weights, tokenizerJson, tokenizerConfig, onnx: buildGenerationModel(config, weights) }, { overwrite: true });
}

export const PROMPTS = [
  { prompt_id: 'p0', prompt: 'Write a haiku about the sea.' },
  { prompt_id: 'p1', prompt: 'What is the capital of France?' },
  { prompt_id: 'p2', prompt: 'Give three tips for writing clear code, please.' },
];

export interface SeededRun {
  run: string;
  manifest: RoundManifest;
}

/** Writes run.json, the prompt pool and round 0's manifest (2 shards: [p0, p1], [p2]). */
export async function seedRun(
  store: ObjectStore,
  { config = {}, checkpointKey, run = `r-${randomUUID().slice(0, 8)}` }: { config?: RunConfigInput; checkpointKey?: string; run?: string } = {},
): Promise<SeededRun> {
  const resolved = parseRunConfig({ samples_per_prompt: 3, max_new_tokens: 12, temperature: 0.9, prompts_per_shard: 2, num_iterations: 1, ...config, prompts: { key: promptsKey(run) } });
  await store.put(runConfigKey(run), JSON.stringify(resolved));
  await store.put(promptsKey(run), toJsonl(PROMPTS));
  const manifest: RoundManifest = {
    run_id: run,
    round: 0,
    checkpoint_key: checkpointKey ?? checkpointPrefix(run, 0),
    shards: [
      { shard: 0, prompt_ids: ['p0', 'p1'] },
      { shard: 1, prompt_ids: ['p2'] },
    ],
    created_at: new Date(0).toISOString(),
    config: resolved,
  };
  await store.putJson(manifestKey(run, 0), manifest);
  return { run, manifest };
}

/** Uploads a local checkpoint folder as checkpoint t of a run, `_COMPLETE` last. */
export async function uploadCheckpoint(store: ObjectStore, dir: string, run: string, t = 0): Promise<void> {
  await store.uploadFolder(dir, checkpointPrefix(run, t), { lastFile: COMPLETE_MARKER });
}

/** A handler context for direct calls (no queue message behind it). */
export function fakeContext(body: unknown): HandlerContext {
  const message: ReceivedMessage = { messageId: randomUUID(), receiptHandle: 'none', body: JSON.stringify(body), receiveCount: 1, attributes: {} };
  return { message, receiveCount: 1, logger: silentLogger };
}
