/**
 * A PairwiseJudge over any ONNX model with PairRM's contract (onnx-model.ts, README.md): inputs
 * built as PairRM builds them, then ONE big batch of every comparison, sorted by length and cut
 * into chunks of at most `batchSize` rows and `maxBatchTokens` padded tokens, so short pairs are
 * not padded to long ones. The official setting (scripts/rank.py) runs one pair per forward.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSession, createWorkerSession, fromOrt, toOrt, type TensorData } from '@sppo/autodiff';
import { loadTokenizer, type LoadedTokenizer } from '../tokenizer.ts';
import { collatePairwiseInputs, createPairRMInputBuilder, resolvePairRMTokens, type PairwiseInput } from './inputs.ts';
import { PAIRWISE_MODEL_FILE } from './onnx-model.ts';
import type { PairwiseExample, PairwiseJudge } from './types.ts';

export interface PairwiseModelParts {
  /** pairwise.onnx bytes. */
  model: Uint8Array;
  tokenizer: LoadedTokenizer;
  name?: string;
}

export interface OnnxPairwiseJudgeOptions {
  /** Token budgets (PairRM: 1224 / 412); default: the folder's config.json, else PairRM's. */
  maxSourceTokens?: number;
  maxCandidateTokens?: number;
  /** Rows per forward; 1 reproduces the official one-pair-at-a-time setting. */
  batchSize?: number;
  /** Cap on rows x padded length per forward (bounds the O(T^2) attention memory). */
  maxBatchTokens?: number;
  /** 'worker' keeps session.run off the event loop (queue heartbeats keep running). */
  thread?: 'worker' | 'main';
  executionProvider?: string;
  intraOpNumThreads?: number;
}

interface Runner {
  run(feeds: Record<string, TensorData>): Promise<Float32Array | Float64Array>;
  close(): Promise<void>;
  inputNames: readonly string[];
}

async function createRunner(model: Uint8Array, thread: 'worker' | 'main', executionProvider: string, intraOpNumThreads: number | undefined): Promise<Runner> {
  const options = { executionProvider, ...(intraOpNumThreads !== undefined ? { intraOpNumThreads } : {}) };
  if (thread === 'worker') {
    const session = await createWorkerSession(model, options);
    return {
      inputNames: session.inputNames,
      run: async (feeds) => (await session.run(feeds, ['logits']))['logits']?.data as Float32Array,
      close: () => session.close(),
    };
  }
  const session = await createSession(model, options);
  return {
    inputNames: session.inputNames,
    run: async (feeds) => {
      const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])), ['logits']);
      return fromOrt(out['logits'] as Parameters<typeof fromOrt>[0]).data as Float32Array;
    },
    close: () => session.release(),
  };
}

/** Index chunks of `inputs`, ascending by length, each within batchSize rows and maxBatchTokens. */
export function planBatches(inputs: readonly PairwiseInput[], { batchSize, maxBatchTokens }: { batchSize: number; maxBatchTokens: number }): number[][] {
  const order = inputs.map((_, i) => i).sort((a, b) => (inputs[a] as PairwiseInput).inputIds.length - (inputs[b] as PairwiseInput).inputIds.length || a - b);
  const chunks: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    const len = (inputs[i] as PairwiseInput).inputIds.length;
    if (current.length > 0 && (current.length >= batchSize || (current.length + 1) * len > maxBatchTokens)) {
      chunks.push(current);
      current = [];
    }
    current.push(i);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export async function createOnnxPairwiseJudge(
  { model, tokenizer, name = 'onnx-pairwise' }: PairwiseModelParts,
  {
    maxSourceTokens,
    maxCandidateTokens,
    batchSize = 32,
    maxBatchTokens = 16_384,
    thread = 'worker',
    executionProvider = 'cpu',
    intraOpNumThreads,
  }: OnnxPairwiseJudgeOptions = {},
): Promise<PairwiseJudge> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be an integer >= 1, got ${batchSize}`);
  const tokens = resolvePairRMTokens(tokenizer);
  const builder = createPairRMInputBuilder({
    tokenizer,
    tokens,
    ...(maxSourceTokens !== undefined ? { maxSourceTokens } : {}),
    ...(maxCandidateTokens !== undefined ? { maxCandidateTokens } : {}),
  });
  const runner = await createRunner(model, thread, executionProvider, intraOpNumThreads);
  const wanted = ['input_ids', 'attention_mask'];
  const extra = runner.inputNames.filter((n) => !wanted.includes(n));
  if (wanted.some((n) => !runner.inputNames.includes(n)) || extra.length > 0) {
    await runner.close();
    throw new Error(
      `${name}: a pairwise model must take exactly input_ids and attention_mask (int64 [batch_size, sequence_length]); ` +
        `this one takes ${runner.inputNames.join(', ')}. See packages/model/src/pairwise/README.md for the contract.`,
    );
  }
  const compare = async (batch: readonly PairwiseExample[]): Promise<number[]> => {
    const inputs = builder.buildBatch(batch);
    const logits = new Array<number>(inputs.length);
    for (const chunk of planBatches(inputs, { batchSize, maxBatchTokens })) {
      const collated = collatePairwiseInputs(
        chunk.map((i) => inputs[i] as PairwiseInput),
        { padId: tokens.ids.pad },
      );
      const dims = [collated.batchSize, collated.seqLen];
      const out = await runner.run({
        input_ids: { dtype: 'int64', dims, data: collated.inputIds },
        attention_mask: { dtype: 'int64', dims, data: collated.attentionMask },
      });
      if (out.length !== chunk.length) throw new Error(`${name}: the model returned ${out.length} logits for ${chunk.length} rows; logits must be [batch_size]`);
      chunk.forEach((i, r) => {
        logits[i] = out[r] as number;
      });
    }
    return logits;
  };
  return { name, compare, close: () => runner.close() };
}

/** Budgets a judge folder's config.json declares (PairRM's ranker_config names), if any. */
async function folderBudgets(dir: string): Promise<{ maxSourceTokens?: number; maxCandidateTokens?: number }> {
  const text = await readFile(join(dir, 'config.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return {};
  const json = JSON.parse(text) as Record<string, unknown>;
  const out: { maxSourceTokens?: number; maxCandidateTokens?: number } = {};
  if (typeof json['source_maxlength'] === 'number') out.maxSourceTokens = json['source_maxlength'];
  if (typeof json['candidate_maxlength'] === 'number') out.maxCandidateTokens = json['candidate_maxlength'];
  return out;
}

/**
 * Loads a judge folder: pairwise.onnx + tokenizer.json + tokenizer_config.json (+ config.json for
 * the default budgets). Options override the folder's budgets.
 */
export async function loadPairwiseJudge(dir: string, options: OnnxPairwiseJudgeOptions = {}): Promise<PairwiseJudge> {
  let model: Uint8Array;
  try {
    model = await readFile(join(dir, PAIRWISE_MODEL_FILE));
  } catch (e) {
    throw new Error(`${dir} is not a pairwise judge folder: cannot read ${PAIRWISE_MODEL_FILE} (${(e as Error).message}). Train one with ./sppo judge-train, or use a rule judge (rule:length, rule:rps).`);
  }
  const tokenizer = await loadTokenizer(dir);
  return createOnnxPairwiseJudge({ model, tokenizer, name: dir }, { ...(await folderBudgets(dir)), ...options });
}
