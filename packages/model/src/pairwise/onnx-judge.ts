/**
 * A PairwiseJudge over any ONNX model with PairRM's contract (onnx-model.ts, README.md): inputs
 * built as PairRM builds them (each distinct text tokenized once, each distinct row run once),
 * then ONE big batch of every comparison, sorted by length and cut into chunks of at most
 * `batchSize` rows, `maxBatchTokens` padded tokens and `maxBatchAttention` rows x T^2, so short
 * pairs are not padded to long ones.
 * The chunks are spread over session replicas (runner-pool.ts). The official setting
 * (scripts/rank.py) runs one pair per forward on one session.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTokenizer, type LoadedTokenizer } from '../tokenizer.ts';
import { collatePairwiseInputs, createPairRMInputBuilder, resolvePairRMTokens, type PairwiseInput } from './inputs.ts';
import { PAIRWISE_MODEL_FILE } from './onnx-model.ts';
import { createRunnerPool, defaultJudgeReplicas } from './runner-pool.ts';
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
  /** Cap on rows x padded length per forward. */
  maxBatchTokens?: number;
  /** Cap on rows x T^2 per forward (the attention scores of one head); see planBatches. Default:
   *  `defaultMaxBatchAttention(executionProvider, hiddenSize)`. */
  maxBatchAttention?: number;
  /** The model's hidden size, when known (a mini-PairRM folder's config.json): sizes CPU batches. */
  hiddenSize?: number;
  /**
   * Session replicas, each in a worker thread with its own session, splitting the batches between
   * them (runner-pool.ts); default one per core on the CPU, 1 on an accelerator. 1 = a single
   * session, as the official code runs it.
   */
  replicas?: number;
  /** Where a SINGLE replica runs; 'worker' keeps session.run off the event loop (queue heartbeats keep running). */
  thread?: 'worker' | 'main';
  executionProvider?: string;
  /** Per replica; default ORT's (all cores) for one replica, else cores / replicas. */
  intraOpNumThreads?: number;
}

/**
 * Cap on rows x T^2 per forward for a model of unknown width on the CPU: on a 2-core CPU
 * (bench/judge.ts) batches of long pairs of a hidden-size-128 judge ran fastest at about this size
 * (4 rows of 128 tokens); short pairs still get 32 rows.
 */
export const DEFAULT_MAX_BATCH_ATTENTION = 65_536;

/**
 * The CPU cap scales as 1 / hidden size, i.e. rows x T^2 x H (one layer's attention work) stays
 * under 2^23: measured best caps for 128-token pairs on 2 cores were 262144 at H = 32, 131072-262144
 * at H = 64 and 65536 at H = 128 (1.2-1.6x faster than one fixed cap). Wide models end at one row
 * per batch on the CPU, where one long row already keeps the GEMMs busy. Accelerators get no cap:
 * their batches should be as large as memory allows.
 */
export function defaultMaxBatchAttention(executionProvider = 'cpu', hiddenSize?: number): number {
  if (executionProvider !== 'cpu') return Infinity;
  return hiddenSize === undefined || !(hiddenSize > 0) ? DEFAULT_MAX_BATCH_ATTENTION : Math.max(1, Math.round(2 ** 23 / hiddenSize));
}

export interface BatchPlanOptions {
  batchSize: number;
  maxBatchTokens: number;
  /** Cap on rows x T^2 (attention scores per head); default no cap. */
  maxBatchAttention?: number;
}

/**
 * Index chunks of `inputs`, ascending by length, each within batchSize rows, maxBatchTokens padded
 * tokens and maxBatchAttention (rows x T^2). The attention cap keeps a chunk's [rows, heads, T, T]
 * scores small enough to stay in cache: on CPU, long pairs run faster in small chunks.
 */
export function planBatches(inputs: readonly PairwiseInput[], { batchSize, maxBatchTokens, maxBatchAttention = Infinity }: BatchPlanOptions): number[][] {
  const order = inputs.map((_, i) => i).sort((a, b) => (inputs[a] as PairwiseInput).inputIds.length - (inputs[b] as PairwiseInput).inputIds.length || a - b);
  const chunks: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    const len = (inputs[i] as PairwiseInput).inputIds.length;
    const rows = current.length + 1;
    if (current.length > 0 && (current.length >= batchSize || rows * len > maxBatchTokens || rows * len * len > maxBatchAttention)) {
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
    maxBatchAttention: attentionCap,
    hiddenSize,
    replicas,
    thread = 'worker',
    executionProvider = 'cpu',
    intraOpNumThreads,
  }: OnnxPairwiseJudgeOptions = {},
): Promise<OnnxPairwiseJudge> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be an integer >= 1, got ${batchSize}`);
  const maxBatchAttention = attentionCap ?? defaultMaxBatchAttention(executionProvider, hiddenSize);
  const tokens = resolvePairRMTokens(tokenizer);
  const builder = createPairRMInputBuilder({
    tokenizer,
    tokens,
    ...(maxSourceTokens !== undefined ? { maxSourceTokens } : {}),
    ...(maxCandidateTokens !== undefined ? { maxCandidateTokens } : {}),
  });
  const runner = await createRunnerPool(model, { replicas: replicas ?? defaultJudgeReplicas(executionProvider), thread, executionProvider, intraOpNumThreads });
  const wanted = ['input_ids', 'attention_mask'];
  const extra = runner.inputNames.filter((n) => !wanted.includes(n));
  if (wanted.some((n) => !runner.inputNames.includes(n)) || extra.length > 0) {
    await runner.close();
    throw new Error(
      `${name}: a pairwise model must take exactly input_ids and attention_mask (int64 [batch_size, sequence_length]); ` +
        `this one takes ${runner.inputNames.join(', ')}. See packages/model/src/pairwise/README.md for the contract.`,
    );
  }
  const stats = { comparisons: 0, rowsRun: 0 };
  const compare = async (batch: readonly PairwiseExample[]): Promise<number[]> => {
    const built = builder.buildBatch(batch);
    // Identical rows (a prompt whose K samples repeat a response: common with small policies and
    // short answers) are run once; `slot[i]` is row i's index among the distinct rows.
    const distinct = new Map<string, number>();
    const inputs: PairwiseInput[] = [];
    const slot = built.map((input) => {
      const key = input.inputIds.join(',');
      let at = distinct.get(key);
      if (at === undefined) {
        at = inputs.length;
        distinct.set(key, at);
        inputs.push(input);
      }
      return at;
    });
    const logits = new Array<number>(inputs.length);
    stats.comparisons += built.length;
    stats.rowsRun += inputs.length;
    // At least one batch per replica, so a small call still uses every core.
    const rowsPerBatch = Math.max(1, Math.min(batchSize, Math.ceil(inputs.length / runner.replicas)));
    const chunks = planBatches(inputs, { batchSize: rowsPerBatch, maxBatchTokens, maxBatchAttention });
    // Costliest first (attention is O(rows T^2)), so the last batches to finish are short ones.
    const cost = (chunk: number[]): number => chunk.length * Math.max(...chunk.map((i) => (inputs[i] as PairwiseInput).inputIds.length)) ** 2;
    chunks.sort((a, b) => cost(b) - cost(a));
    await runner.runAll(
      chunks.map((chunk) => () => {
        const collated = collatePairwiseInputs(
          chunk.map((i) => inputs[i] as PairwiseInput),
          { padId: tokens.ids.pad },
        );
        const dims = [collated.batchSize, collated.seqLen];
        return {
          input_ids: { dtype: 'int64', dims, data: collated.inputIds },
          attention_mask: { dtype: 'int64', dims, data: collated.attentionMask },
        };
      }),
      (c, out) => {
        const chunk = chunks[c] as number[];
        if (out.length !== chunk.length) throw new Error(`${name}: the model returned ${out.length} logits for ${chunk.length} rows; logits must be [batch_size]`);
        chunk.forEach((i, r) => {
          logits[i] = out[r] as number;
        });
      },
    );
    return slot.map((at) => logits[at] as number);
  };
  return { name, compare, close: () => runner.close(), stats };
}

/** An ONNX pairwise judge, with counters of what its forward passes did. */
export interface OnnxPairwiseJudge extends PairwiseJudge {
  /** Comparisons asked for, and rows actually run (identical rows run once), since creation. */
  readonly stats: { comparisons: number; rowsRun: number };
}

/** Budgets (PairRM's ranker_config names) and hidden size a judge folder's config.json declares, if any. */
async function folderBudgets(dir: string): Promise<{ maxSourceTokens?: number; maxCandidateTokens?: number; hiddenSize?: number }> {
  const text = await readFile(join(dir, 'config.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return {};
  const json = JSON.parse(text) as Record<string, unknown>;
  const out: { maxSourceTokens?: number; maxCandidateTokens?: number; hiddenSize?: number } = {};
  if (typeof json['source_maxlength'] === 'number') out.maxSourceTokens = json['source_maxlength'];
  if (typeof json['candidate_maxlength'] === 'number') out.maxCandidateTokens = json['candidate_maxlength'];
  if (typeof json['hidden_size'] === 'number') out.hiddenSize = json['hidden_size'];
  return out;
}

/**
 * Loads a judge folder: pairwise.onnx + tokenizer.json + tokenizer_config.json (+ config.json for
 * the default budgets). Options override the folder's budgets.
 */
export async function loadPairwiseJudge(dir: string, options: OnnxPairwiseJudgeOptions = {}): Promise<OnnxPairwiseJudge> {
  let model: Uint8Array;
  try {
    model = await readFile(join(dir, PAIRWISE_MODEL_FILE));
  } catch (e) {
    throw new Error(`${dir} is not a pairwise judge folder: cannot read ${PAIRWISE_MODEL_FILE} (${(e as Error).message}). Train one with ./sppo judge-train, or use a rule judge (rule:length, rule:rps).`);
  }
  const tokenizer = await loadTokenizer(dir);
  return createOnnxPairwiseJudge({ model, tokenizer, name: dir }, { ...(await folderBudgets(dir)), ...options });
}
