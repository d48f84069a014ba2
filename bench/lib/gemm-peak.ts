// This machine's float32 GEMM rate through ONNX Runtime, measured in the benchmark's own run (a
// shared machine's peak moves from day to day, so a figure from elsewhere is no denominator).
// One Gemm node, y = a b^T as our linear layers run it, on one session with the step's threads.
import { createGraph, createSession } from '@sppo/autodiff';
import * as ort from 'onnxruntime-node';
import { median } from './models.ts';

export interface GemmRate {
  /** [M, K] x [K, N] */
  m: number;
  k: number;
  n: number;
  /** Median over the timed runs. */
  gflops: number;
}

/** GFLOP/s (2 m k n per product) of an ORT Gemm at one shape: median of enough runs for ~0.5 s. */
export async function gemmRate(m: number, k: number, n: number, threads: number): Promise<GemmRate> {
  const g = createGraph({ name: 'gemm_peak', floatType: 'float32' });
  const a = g.input('a', [m, k]);
  const b = g.input('b', [n, k]);
  g.output('y', g.gemm(a, b, { transB: true }));
  const session = await createSession(g.toModel(), { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const fill = (size: number): Float32Array => Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const feeds = { a: new ort.Tensor('float32', fill(m * k), [m, k]), b: new ort.Tensor('float32', fill(n * k), [n, k]) };
  const flop = 2 * m * k * n;
  try {
    // Warm-up (arena, thread pool, CPU clocks): at least 3 runs and 0.3 s.
    const warm = performance.now();
    for (let i = 0; i < 3 || performance.now() - warm < 300; i++) await session.run(feeds);
    const times: number[] = [];
    const started = performance.now();
    while (times.length < 5 || (performance.now() - started < 500 && times.length < 200)) {
      const t = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t);
    }
    return { m, k, n, gflops: Math.round(flop / (median(times) / 1000) / 1e9) };
  } finally {
    await session.release();
  }
}
