/**
 * The ONNX sessions behind an ONNX pairwise judge: one session (main thread or a worker thread), or
 * R replicas, each a worker thread with its own session and few intra-op threads, pulling planned
 * batches from one queue. A small encoder's forward is a long chain of small ops (attention over
 * [B, heads, T, T], RoPE, norms) that one session spreads poorly over cores; independent replicas
 * scale with the cores instead, as the sampling engine's replicas do (sampling/parallel-engine.ts).
 * Every batch is the same rows padded the same way whichever replica runs it, so the logits do not
 * depend on the replica count or on the scheduling.
 */
import { availableParallelism } from 'node:os';
import { createSession, createWorkerSession, fromOrt, toOrt, type TensorData } from '@sppo/autodiff';

export interface RunnerPoolOptions {
  /** Session replicas; > 1 always runs them in worker threads. */
  replicas: number;
  /** Where a single replica runs: 'worker' keeps session.run off the event loop. */
  thread: 'worker' | 'main';
  executionProvider: string;
  /** Per replica; default ORT's (the machine's cores) for one replica, else cores / replicas. */
  intraOpNumThreads?: number | undefined;
}

export type Feeds = Record<string, TensorData>;

export interface RunnerPool {
  readonly inputNames: readonly string[];
  readonly replicas: number;
  /**
   * Runs every job once and hands each job's `logits` to `done`, job order not guaranteed. Jobs
   * are taken from the front of the list by whichever replica is free, so put the costliest first.
   */
  runAll(jobs: readonly (() => Feeds)[], done: (job: number, logits: Float32Array | Float64Array) => void): Promise<void>;
  close(): Promise<void>;
}

interface Runner {
  run(feeds: Feeds): Promise<Float32Array | Float64Array>;
  close(): Promise<void>;
  inputNames: readonly string[];
}

/** Default replica count: one per core (at most 16) on the CPU, one on an accelerator. */
export function defaultJudgeReplicas(executionProvider = 'cpu'): number {
  return executionProvider === 'cpu' ? Math.max(1, Math.min(16, availableParallelism())) : 1;
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

export async function createRunnerPool(model: Uint8Array, { replicas, thread, executionProvider, intraOpNumThreads }: RunnerPoolOptions): Promise<RunnerPool> {
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new Error(`replicas must be an integer >= 1 (session replicas, each in its own worker thread), got ${replicas}; use 1 on a GPU or for a model that barely fits in memory`);
  }
  // One replica keeps ORT's default threads unless told; R replicas share the cores.
  const threads = replicas === 1 ? intraOpNumThreads : (intraOpNumThreads ?? Math.max(1, Math.floor(availableParallelism() / replicas)));
  const settled = await Promise.allSettled(Array.from({ length: replicas }, () => createRunner(model, replicas === 1 ? thread : 'worker', executionProvider, threads)));
  const runners = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) {
    await Promise.all(runners.map((r) => r.close()));
    throw failure.reason;
  }
  const first = runners[0] as Runner;
  return {
    inputNames: first.inputNames,
    replicas,
    async runAll(jobs, done) {
      let next = 0;
      // Each replica loops: take the next job, build its feeds, run, repeat (a shared work queue, so
      // a replica that got short batches takes more of them).
      const loop = async (runner: Runner): Promise<void> => {
        while (next < jobs.length) {
          const job = next++;
          try {
            done(job, await runner.run((jobs[job] as () => Feeds)()));
          } catch (e) {
            next = jobs.length; // the other replicas stop after their current job
            throw e;
          }
        }
      };
      await Promise.all(runners.slice(0, Math.max(1, Math.min(runners.length, jobs.length))).map(loop));
    },
    async close() {
      await Promise.all(runners.map((r) => r.close()));
    },
  };
}
