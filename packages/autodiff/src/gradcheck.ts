// Central finite differences over EVERY element of every param, in float64, against the
// reverse-mode graph. Exported so the model package can check whole models the same way.
import * as ort from 'onnxruntime-node';
import { createGraph } from './builder.ts';
import type { GraphBuilder } from './builder.ts';
import { createSession } from './session.ts';
import { encodeValues } from './types.ts';
import type { DType, Tensor } from './types.ts';

export interface GradientCheckOptions {
  /** Builds the scalar loss from float64 params and the data inputs. */
  build: (g: GraphBuilder, params: Record<string, Tensor>, data: Record<string, Tensor>) => Tensor;
  /** Param shapes and values (values default to seeded N(0, 1) * scale). */
  params: Record<string, { shape: number[]; values?: ArrayLike<number> }>;
  data?: Record<string, { shape: number[]; dtype: DType; values: ArrayLike<number> | bigint[] }>;
  eps?: number;
  seed?: number;
  scale?: number;
  gatherGradient?: 'scatter' | 'onehot';
  /** Check only this many evenly spaced elements per param (default: every element). */
  sample?: number;
}

export interface GradientCheckReport {
  /** The worst relError over all params. */
  maxError: number;
  /** relError = max |analytic - numeric| / max(max |numeric|, 1e-12), per param tensor. */
  perParam: Record<string, { maxAbsError: number; relError: number; elements: number }>;
  loss: number;
}

/** A small deterministic PRNG (mulberry32) with Box-Muller normals, for reproducible test values. */
export function seededNormal(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-300)) * Math.cos(2 * Math.PI * uniform());
}

export async function checkGradients({ build, params, data = {}, eps = 1e-6, seed = 1, scale = 1, gatherGradient = 'scatter', sample }: GradientCheckOptions): Promise<GradientCheckReport> {
  const names = Object.keys(params);
  // Two graphs from the same build: loss + gradients once, then a forward-only graph for the 2N
  // perturbed evaluations (cheaper than re-running the backward pass each time).
  const declare = (withGrads: boolean): Uint8Array => {
    const g = createGraph({ name: withGrads ? 'gradcheck' : 'gradcheck_forward', floatType: 'float64', gatherGradient });
    const p: Record<string, Tensor> = {};
    for (const n of names) p[n] = g.param(n, params[n]!.shape);
    const d: Record<string, Tensor> = {};
    for (const [n, spec] of Object.entries(data)) d[n] = g.input(n, spec.shape, spec.dtype);
    const loss = build(g, p, d);
    g.output('loss', loss);
    if (withGrads) g.gradients(loss, names.map((n) => p[n]!)).forEach((t, i) => g.output(`grad/${names[i]}`, t));
    return g.toModel();
  };
  const opts = { graphOptimizationLevel: 'basic', intraOpNumThreads: 1 } as const;
  const [session, forward] = await Promise.all([createSession(declare(true), opts), createSession(declare(false), opts)]);

  const normal = seededNormal(seed);
  const values: Record<string, Float64Array> = {};
  for (const n of names) {
    const spec = params[n]!;
    const size = spec.shape.reduce((a, b) => a * b, 1);
    values[n] = spec.values ? Float64Array.from(spec.values) : Float64Array.from({ length: size }, () => normal() * scale);
    if (values[n].length !== size) throw new Error(`checkGradients: param ${n} has ${values[n].length} values for shape [${spec.shape}] (${size})`);
  }
  const dataFeeds: Record<string, ort.Tensor> = {};
  for (const [n, spec] of Object.entries(data)) {
    const raw = encodeValues(spec.values, spec.dtype);
    const arr =
      spec.dtype === 'float32' ? new Float32Array(raw.buffer) : spec.dtype === 'float64' ? new Float64Array(raw.buffer)
      : spec.dtype === 'int64' ? new BigInt64Array(raw.buffer) : spec.dtype === 'int32' ? new Int32Array(raw.buffer) : spec.dtype === 'uint16' ? new Uint16Array(raw.buffer) : new Uint8Array(raw.buffer);
    dataFeeds[n] = new ort.Tensor(spec.dtype, arr as never, spec.shape);
  }
  const run = async (withGrads: boolean): Promise<ort.InferenceSession.OnnxValueMapType> => {
    const feeds: Record<string, ort.Tensor> = { ...dataFeeds };
    for (const n of names) feeds[n] = new ort.Tensor('float64', values[n]!, params[n]!.shape);
    return (withGrads ? session : forward).run(feeds);
  };

  const base = await run(true);
  const report: GradientCheckReport = { maxError: 0, perParam: {}, loss: Number(base.loss!.data[0]) };
  for (const n of names) {
    const analytic = base[`grad/${n}`]!.data as Float64Array;
    const v = values[n]!;
    let maxAbs = 0;
    let maxNum = 0;
    const stride = sample && sample < v.length ? v.length / sample : 1;
    const checked = stride === 1 ? v.length : sample!;
    for (let j = 0; j < checked; j++) {
      const i = Math.floor(j * stride);
      const orig = v[i]!;
      v[i] = orig + eps;
      const up = Number((await run(false)).loss!.data[0]);
      v[i] = orig - eps;
      const down = Number((await run(false)).loss!.data[0]);
      v[i] = orig;
      const numeric = (up - down) / (2 * eps);
      maxAbs = Math.max(maxAbs, Math.abs(numeric - analytic[i]!));
      maxNum = Math.max(maxNum, Math.abs(numeric));
    }
    const relError = maxAbs / Math.max(maxNum, 1e-12);
    report.perParam[n] = { maxAbsError: maxAbs, relError, elements: checked };
    report.maxError = Math.max(report.maxError, relError);
  }
  await Promise.all([session.release(), forward.release()]);
  return report;
}
