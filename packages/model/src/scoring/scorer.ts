/**
 * Summed response log-probabilities of many (prompt, response) token sequences under one set of
 * weights: TRL `get_batch_logps(average_log_prob=False)` over a whole file, as the trainer needs
 * for reference log-probs and the `score` command prints. Runs the logprob graph (graphs (2)) in
 * shape buckets; the weights are loaded once into an autodiff TensorHost and every bucket's
 * session reads them from there, so only token ids cross per batch.
 */
import { createLocalHost, createWorkerHost, type SessionOptions, type TensorData, type TensorHost } from '@sppo/autodiff';
import { buildLogprobGraph } from '../graphs/sequence-logps.ts';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { checkWeights, parameterShapes, type LlamaWeights } from '../llama/params.ts';
import { collateSequences, type BucketOptions, type SequenceInput } from '../tokenize.ts';
import { DEFAULT_SCORE_BUCKET, planScoreBatches } from './plan.ts';

export interface ScoreBatchInfo {
  /** 1-based index of the batch just scored, and how many there are. */
  batch: number;
  batches: number;
  /** Real rows in the batch (the rest are filler). */
  rows: number;
  seqLen: number;
  /** Milliseconds of this batch (graph build and session creation included on a new bucket). */
  ms: number;
}

export interface SequenceScorerOptions {
  config: LlamaGraphConfig;
  weights: LlamaWeights;
  /** Token id written into padding positions (never attended, never scored). */
  padId: number;
  batchSize?: number;
  bucket?: BucketOptions;
  session?: SessionOptions;
  /** 'worker' keeps sessions off the main thread (a service must keep serving its heartbeat). */
  thread?: 'main' | 'worker';
  /** Called after every batch (progress lines). */
  onBatch?: (info: ScoreBatchInfo) => void;
}

export interface SequenceScores {
  /** Per input sequence, in input order: sum of log p(response token | everything before it). */
  logps: number[];
  /** Number of response tokens scored per sequence. */
  counts: number[];
}

export interface SequenceScorer {
  score(sequences: readonly SequenceInput[]): Promise<SequenceScores>;
  close(): Promise<void>;
}

const OUTPUTS = ['logps', 'token_counts'];

export async function createSequenceScorer({
  config,
  weights,
  padId,
  batchSize = 8,
  bucket = DEFAULT_SCORE_BUCKET,
  session = {},
  thread = 'main',
  onBatch,
}: SequenceScorerOptions): Promise<SequenceScorer> {
  checkWeights(config, weights);
  const host: TensorHost = thread === 'worker' ? createWorkerHost() : createLocalHost();
  const params: Record<string, TensorData> = {};
  for (const { name, shape } of parameterShapes(config)) {
    const w = weights.get(name) as Float32Array | Float64Array;
    params[name] = { dtype: 'float32', dims: shape, data: w instanceof Float32Array ? w : Float32Array.from(w) };
  }
  await host.setTensors(params);
  const loaded = new Set<string>();

  async function runBatch(sequences: readonly SequenceInput[], seqLen: number): Promise<{ logps: Float32Array; counts: Float32Array }> {
    const key = `logps:${batchSize}x${seqLen}`;
    if (!loaded.has(key)) {
      await host.load(key, buildLogprobGraph({ config, batchSize, sequenceLength: seqLen }), session);
      loaded.add(key);
    }
    const b = collateSequences(sequences, { padId, batchSize, seqLen });
    const dims = [batchSize, seqLen];
    const out = await host.run({
      key,
      feeds: {
        input_ids: { dtype: 'int64', dims, data: b.inputIds },
        attention_mask: { dtype: 'int64', dims, data: b.attentionMask },
        response_mask: { dtype: 'int64', dims, data: b.responseMask },
      },
      fetch: OUTPUTS,
    });
    return { logps: out.logps?.data as Float32Array, counts: out.token_counts?.data as Float32Array };
  }

  return {
    async score(sequences) {
      const logps = new Array<number>(sequences.length).fill(0);
      const counts = new Array<number>(sequences.length).fill(0);
      const plans = planScoreBatches(
        sequences.map((s) => s.promptIds.length + s.responseIds.length),
        { batchSize, bucket },
      );
      for (const [p, plan] of plans.entries()) {
        const started = performance.now();
        const result = await runBatch(plan.rows.map((i) => sequences[i] as SequenceInput), plan.seqLen);
        plan.rows.forEach((row, j) => {
          logps[row] = result.logps[j] as number;
          counts[row] = result.counts[j] as number;
        });
        onBatch?.({ batch: p + 1, batches: plans.length, rows: plan.rows.length, seqLen: plan.seqLen, ms: performance.now() - started });
      }
      return { logps, counts };
    },
    async close() {
      await host.close();
    },
  };
}
