/**
 * Data-parallel sampling: R engine replicas, each a worker thread with its own session and few
 * intra-op threads, each decoding its share of the rows. A decoding step of a small model is
 * dominated by KV-cache traffic (concatenating past and new keys and values, attention over
 * them), which one session parallelises poorly across cores; independent replicas scale with
 * the cores instead. Rows are independent (each has its own seeded stream), so splitting a
 * request never changes its results. Every replica holds its own copy of the weights, and every
 * replica streams them through memory on each step: big models get one replica with all the
 * threads by default (REPLICA_WEIGHT_LIMIT), and a GPU gets one.
 */
import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { GenerateOptions, SampleResult, SampleRow, SamplingEngine, SamplingEngineOptions, TextDelta } from './engine.ts';
import { SamplingError } from './errors.ts';
import { ONNX_CANDIDATES } from './model-folder.ts';
import { createWorkerSamplingEngine } from './worker-engine.ts';

export interface ParallelSamplingEngineOptions extends SamplingEngineOptions {
  /** Engine replicas (worker threads); default `defaultReplicas` for the folder's model. */
  replicas?: number;
}

/**
 * Weights (bytes of the ONNX file and its external data) above which a CPU engine runs one
 * replica with every thread. Measured on 2 cores (bench/README.md): the SmolLM2-135M shape
 * (0.54 GB) generates 1.04x transformers.js with two one-thread replicas and 0.9x with one
 * session; Qwen2.5-0.5B's (2.0 GB) 0.71x with two replicas, each streaming its own copy of the
 * weights per step and holding it (5.5 GB peak against 2.8 GB).
 */
export const REPLICA_WEIGHT_LIMIT = 2 ** 30;

/** Default replica count: one per core (at most 16) on the CPU, one for a model past REPLICA_WEIGHT_LIMIT or on an accelerator. */
export function defaultReplicas(executionProvider = 'cpu', weightBytes = 0): number {
  if (executionProvider !== 'cpu' || weightBytes > REPLICA_WEIGHT_LIMIT) return 1;
  return Math.max(1, Math.min(16, availableParallelism()));
}

/** Bytes of a model folder's ONNX decoder and the external data files beside it (0 if none is found). */
export async function modelWeightBytes(modelDir: string): Promise<number> {
  for (const candidate of ONNX_CANDIDATES) {
    const path = join(modelDir, candidate);
    const size = await stat(path).then((s) => s.size, () => undefined);
    if (size === undefined) continue;
    const siblings = await readdir(dirname(path));
    const data = await Promise.all(siblings.filter((f) => /\.onnx[._]data$/.test(f)).map((f) => stat(join(dirname(path), f)).then((s) => s.size)));
    return data.reduce((n, b) => n + b, size);
  }
  return 0;
}

/**
 * Cuts rows into `parts` contiguous chunks of nearly equal size after grouping rows of the same
 * prompt together, so a prompt's samples share a prefill except where a cut falls inside it.
 * Returns the original row indexes of each chunk.
 */
export function splitRows(rows: readonly SampleRow[], parts: number): number[][] {
  const order = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const key = typeof row.prompt === 'string' ? `s${row.addSpecialTokens ? 1 : 0}:${row.prompt}` : `t:${row.prompt.join(',')}`;
    let list = order.get(key);
    if (list === undefined) order.set(key, (list = []));
    list.push(i);
  });
  const grouped = [...order.values()].flat();
  const chunks: number[][] = [];
  const n = Math.min(parts, grouped.length);
  for (let c = 0; c < n; c++) chunks.push(grouped.slice(Math.floor((c * grouped.length) / n), Math.floor(((c + 1) * grouped.length) / n)));
  return chunks;
}

export async function createParallelSamplingEngine({ replicas, intraOpNumThreads, ...options }: ParallelSamplingEngineOptions): Promise<SamplingEngine> {
  const count = replicas ?? defaultReplicas(options.executionProvider, await modelWeightBytes(options.modelDir));
  if (!Number.isInteger(count) || count < 1) throw new SamplingError('invalid_params', `replicas must be an integer >= 1, got ${count}`, { param: 'replicas' });
  const threads = intraOpNumThreads ?? Math.max(1, Math.floor(availableParallelism() / count));
  const settled = await Promise.allSettled(Array.from({ length: count }, () => createWorkerSamplingEngine({ ...options, intraOpNumThreads: threads })));
  const engines = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) {
    await Promise.all(engines.map((e) => e.close()));
    throw failure.reason;
  }
  const first = engines[0] as SamplingEngine;
  if (count === 1) return first;
  let next = 0; // rotates which replica gets the first chunk, so small calls spread out
  return {
    info: first.info,
    async generate(rows, params = {}, generateOptions: GenerateOptions = {}) {
      const chunks = splitRows(rows, count);
      const start = next;
      next = (next + chunks.length) % count;
      const results: SampleResult[] = new Array(rows.length);
      const done = new Array<number>(chunks.length).fill(0);
      const tokens = new Array<number>(chunks.length).fill(0);
      await Promise.all(
        chunks.map(async (chunk, c) => {
          const engine = engines[(start + c) % count] as SamplingEngine;
          const out = await engine.generate(
            chunk.map((i) => rows[i] as SampleRow),
            params,
            {
              rowNumbers: chunk.map((i) => generateOptions.rowNumbers?.[i] ?? i),
              onProgress: (p) => {
                done[c] = p.done;
                tokens[c] = p.tokens;
                generateOptions.onProgress?.({ done: done.reduce((a, b) => a + b, 0), total: rows.length, tokens: tokens.reduce((a, b) => a + b, 0) });
              },
              ...(generateOptions.signal === undefined ? {} : { signal: generateOptions.signal }),
              ...(generateOptions.onText === undefined
                ? {}
                : { onText: (deltas: TextDelta[]) => generateOptions.onText?.(deltas.map((d) => ({ ...d, row: chunk[d.row] as number }))) }),
            },
          );
          chunk.forEach((i, j) => {
            results[i] = out[j] as SampleResult;
          });
        }),
      );
      return results;
    },
    async close() {
      await Promise.all(engines.map((e) => e.close()));
    },
  };
}
