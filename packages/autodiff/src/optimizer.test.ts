// Optimizer graphs against plain-JS transcriptions of PyTorch's single-tensor AdamW, RMSprop and SGD
// and of clip_grad_norm_, over several steps with the graph's outputs fed back in.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { seededNormal } from './gradcheck.ts';
import { optimizerScalars, resolveOptimizer } from './optimizer.ts';
import type { OptimizerConfig } from './optimizer.ts';
import { createSession } from './session.ts';
import { buildGradientStep, buildOptimizerStep, buildTrainStep } from './trainstep.ts';
import type { StepGraph } from './trainstep.ts';

const SHAPES: Record<string, number[]> = { w: [3, 4], b: [4] };
const STEPS = 5;

/** A reference optimizer over plain arrays (double precision), following torch/optim/*.py. */
function reference(config: OptimizerConfig, maxNorm?: number) {
  const c = resolveOptimizer(config);
  const st: Record<string, Record<string, number[]>> = {};
  let step = 0;
  return (params: Record<string, number[]>, gradsIn: Record<string, number[]>, lr: number): number => {
    step++;
    let grads = gradsIn;
    const norm = Math.sqrt(Object.values(grads).flat().reduce((s, v) => s + v * v, 0));
    if (maxNorm !== undefined) {
      const coef = Math.min(1, maxNorm / (norm + 1e-6));
      grads = Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, v.map((x) => x * coef)]));
    }
    for (const [k, p] of Object.entries(params)) {
      const s = (st[k] ??= { m: p.map(() => 0), v: p.map(() => 0), buf: p.map(() => 0), ga: p.map(() => 0) });
      for (let i = 0; i < p.length; i++) {
        let g = grads[k]![i]!;
        if (c.type === 'adamw') {
          p[i]! *= 1 - lr * c.weightDecay;
          s.m![i]! += (g - s.m![i]!) * (1 - c.beta1);
          s.v![i] = s.v![i]! * c.beta2 + (1 - c.beta2) * g * g;
          const denom = Math.sqrt(s.v![i]!) / Math.sqrt(1 - c.beta2 ** step) + c.eps;
          p[i]! -= (lr / (1 - c.beta1 ** step)) * (s.m![i]! / denom);
        } else if (c.type === 'rmsprop') {
          if (c.weightDecay) g += c.weightDecay * p[i]!;
          s.v![i] = s.v![i]! * c.alpha + (1 - c.alpha) * g * g;
          let avg: number;
          if (c.centered) {
            s.ga![i]! += (g - s.ga![i]!) * (1 - c.alpha);
            avg = Math.sqrt(s.v![i]! - s.ga![i]! ** 2) + c.eps;
          } else avg = Math.sqrt(s.v![i]!) + c.eps;
          if (c.momentum > 0) {
            s.buf![i] = s.buf![i]! * c.momentum + g / avg;
            p[i]! -= lr * s.buf![i]!;
          } else p[i]! -= (lr * g) / avg;
        } else {
          if (c.weightDecay) g += c.weightDecay * p[i]!;
          if (c.momentum > 0) g = s.buf![i] = s.buf![i]! * c.momentum + g;
          p[i]! -= lr * g;
        }
      }
    }
    return norm;
  };
}

function randomArrays(seed: number): Record<string, number[]> {
  const r = seededNormal(seed);
  return Object.fromEntries(Object.entries(SHAPES).map(([k, s]) => [k, Array.from({ length: s.reduce((a, b) => a * b, 1) }, r)]));
}

/** Runs an optimizer graph STEPS times with fresh grads, feeding carried outputs back. */
async function runOptimizerGraph(sg: StepGraph, init: Record<string, number[]>, gradsPerStep: Record<string, number[]>[], lrs: number[]) {
  const session = await createSession(sg.model);
  const feeds: Record<string, ort.Tensor> = {};
  for (const p of sg.params) feeds[p.name] = new ort.Tensor('float32', Float32Array.from(init[p.name]!), p.shape);
  for (const s of sg.state) feeds[s.name] = new ort.Tensor('float32', new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape);
  const norms: number[] = [];
  for (let k = 0; k < gradsPerStep.length; k++) {
    for (const [n, v] of Object.entries(optimizerScalars(sg.optimizer!, k + 1, lrs[k]!))) feeds[n] = new ort.Tensor('float32', Float32Array.of(v), []);
    feeds.grad_scale = new ort.Tensor('float32', Float32Array.of(1), []);
    for (const p of sg.params) feeds[`grad/${p.name}`] = new ort.Tensor('float32', Float32Array.from(gradsPerStep[k]![p.name]!), p.shape);
    const out = await session.run(feeds);
    norms.push(Number(out.grad_norm!.data[0]));
    for (const [o, i] of sg.carry) feeds[i] = out[o]!;
  }
  const params = Object.fromEntries(sg.params.map((p) => [p.name, Array.from(feeds[p.name]!.data as Float32Array)]));
  await session.release();
  return { params, norms };
}

const configs: [string, OptimizerConfig, number | undefined][] = [
  ['adamw defaults', { type: 'adamw' }, undefined],
  ['adamw, wd 0.1, clipped at 0.5', { type: 'adamw', weightDecay: 0.1, beta2: 0.95 }, 0.5],
  ['rmsprop defaults (alpha 0.99, eps outside sqrt)', { type: 'rmsprop' }, undefined],
  ['rmsprop momentum + centered + weight decay', { type: 'rmsprop', momentum: 0.9, centered: true, weightDecay: 0.01 }, 1.0],
  ['sgd momentum', { type: 'sgd', momentum: 0.9, weightDecay: 0.01 }, undefined],
];

describe('optimizer graphs vs PyTorch-semantics references', () => {
  for (const [name, config, maxNorm] of configs) {
    it(name, async () => {
      const init = randomArrays(1);
      const grads = Array.from({ length: STEPS }, (_, k) => randomArrays(10 + k));
      const lrs = [1e-3, 2e-3, 3e-3, 2e-2, 1e-2];
      const sg = buildOptimizerStep({ params: Object.entries(SHAPES).map(([n, s]) => ({ name: n, shape: s })), optimizer: config, ...(maxNorm !== undefined ? { maxGradNorm: maxNorm } : {}) });
      const got = await runOptimizerGraph(sg, init, grads, lrs);
      const ref = reference(config, maxNorm);
      const want = structuredClone(init);
      const norms = grads.map((g, k) => ref(want, g, lrs[k]!));
      let maxDelta = 0;
      for (const k of Object.keys(SHAPES)) want[k]!.forEach((v, i) => (maxDelta = Math.max(maxDelta, Math.abs(v - got.params[k]![i]!))));
      expect(maxDelta).toBeLessThan(2e-6);
      // the update moved the params (the test could fail): compare against the start
      expect(Math.abs(want.w![0]! - init.w![0]!)).toBeGreaterThan(1e-4);
      got.norms.forEach((n, k) => expect(n).toBeCloseTo(norms[k]!, 5));
    });
  }
});

describe('train step graphs', () => {
  // A least-squares model: loss = mean((x w + b - y)^2).
  const build = (g: import('./builder.ts').GraphBuilder) => {
    const x = g.input('x', [5, 3]);
    const y = g.input('y', [5, 4]);
    const w = g.param('w', SHAPES.w!);
    const b = g.param('b', SHAPES.b!);
    const err = g.sub(g.add(g.matmul(x, w), b), y);
    return { loss: g.reduceMean(g.mul(err, err), []), metrics: { 'metrics/abs_err': g.reduceMean(g.abs(err), []) } };
  };
  const batch = () => {
    const r = seededNormal(7);
    return { x: new ort.Tensor('float32', Float32Array.from({ length: 15 }, r), [5, 3]), y: new ort.Tensor('float32', Float32Array.from({ length: 20 }, r), [5, 4]) };
  };

  it('fused step equals gradients graph + optimizer graph, bit for bit, and reports its contract', async () => {
    const optimizer: OptimizerConfig = { type: 'adamw', weightDecay: 0.05 };
    const fused = buildTrainStep(build, { optimizer, maxGradNorm: 0.3 });
    expect(fused.outputs).toEqual(['loss', 'metrics/abs_err', 'grad_norm']);
    expect(fused.data.map((d) => d.name)).toEqual(['x', 'y']);
    expect(fused.state.map((s) => s.name)).toEqual(['optim/exp_avg/w', 'optim/exp_avg_sq/w', 'optim/exp_avg/b', 'optim/exp_avg_sq/b']);
    expect(fused.carry).toContainEqual(['next/w', 'w']);
    const grads = buildGradientStep(build, { accumulate: true });
    const opt = buildOptimizerStep({ params: grads.params, optimizer, maxGradNorm: 0.3 });
    const [sf, sg, so] = await Promise.all([createSession(fused.model), createSession(grads.model), createSession(opt.model)]);
    const init = randomArrays(3);
    const feedsF: Record<string, ort.Tensor> = { ...batch() };
    const feedsO: Record<string, ort.Tensor> = {};
    for (const p of fused.params) feedsF[p.name] = feedsO[p.name] = new ort.Tensor('float32', Float32Array.from(init[p.name]!), p.shape);
    for (const s of fused.state) feedsF[s.name] = feedsO[s.name] = new ort.Tensor('float32', new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape);
    for (let step = 1; step <= 3; step++) {
      const scal = Object.entries(optimizerScalars(optimizer, step, 0.01)).map(([n, v]) => [n, new ort.Tensor('float32', Float32Array.of(v), [])] as const);
      for (const [n, t] of scal) feedsF[n] = feedsO[n] = t;
      const outF = await sf.run(feedsF);
      const gradFeeds: Record<string, ort.Tensor> = { ...batch() };
      for (const p of grads.params) {
        gradFeeds[p.name] = feedsO[p.name]!;
        gradFeeds[`grad/${p.name}`] = new ort.Tensor('float32', new Float32Array(p.shape.reduce((a, b) => a * b, 1)), p.shape);
      }
      const outG = await sg.run(gradFeeds);
      expect(outG.loss!.data[0]).toBe(outF.loss!.data[0]);
      for (const p of grads.params) feedsO[`grad/${p.name}`] = outG[`next/grad/${p.name}`]!;
      feedsO.grad_scale = new ort.Tensor('float32', Float32Array.of(1), []);
      const outO = await so.run(feedsO);
      expect(outO.grad_norm!.data[0]).toBe(outF.grad_norm!.data[0]);
      for (const [o, i] of fused.carry) {
        expect(Array.from(outO[o]!.data as Float32Array)).toEqual(Array.from(outF[o]!.data as Float32Array));
        feedsF[i] = outF[o]!;
        feedsO[i] = outO[o]!;
      }
    }
  });

  it('accumulating two half batches equals one full batch (grad_scale 0.5 vs mean over halves)', async () => {
    const half = (g: import('./builder.ts').GraphBuilder) => {
      const x = g.input('x', [2, 3]);
      const w = g.param('w', [3, 1]);
      return { loss: g.reduceMean(g.pow(g.matmul(x, w), 2), []) };
    };
    const full = (g: import('./builder.ts').GraphBuilder) => {
      const x = g.input('x', [4, 3]);
      const w = g.param('w', [3, 1]);
      return { loss: g.reduceMean(g.pow(g.matmul(x, w), 2), []) };
    };
    const gh = buildGradientStep(half, { floatType: 'float64' });
    const gf = buildGradientStep(full, { floatType: 'float64', accumulate: false });
    const [sh, sf] = await Promise.all([createSession(gh.model), createSession(gf.model)]);
    const xs = Float64Array.from({ length: 12 }, seededNormal(5));
    const w = new ort.Tensor('float64', Float64Array.of(0.5, -1, 2), [3, 1]);
    let acc: ort.Tensor = new ort.Tensor('float64', new Float64Array(3), [3, 1]);
    for (const part of [xs.subarray(0, 6), xs.subarray(6)]) {
      acc = (await sh.run({ x: new ort.Tensor('float64', Float64Array.from(part), [2, 3]), w, 'grad/w': acc }))['next/grad/w']!;
    }
    const whole = (await sf.run({ x: new ort.Tensor('float64', xs, [4, 3]), w }))['grad/w']!.data as Float64Array;
    (acc.data as Float64Array).forEach((v, i) => expect(v * 0.5).toBeCloseTo(whole[i]!, 12));
  });

  it('trains only the selected params; the rest stay frozen inputs', () => {
    const sg = buildTrainStep(build, { optimizer: { type: 'sgd' }, params: ['w'] });
    expect(sg.params.map((p) => p.name)).toEqual(['w']);
    expect(sg.frozen.map((p) => p.name)).toEqual(['b']);
    expect(sg.carry).toEqual([['next/w', 'w']]);
    expect(() => buildTrainStep(build, { optimizer: { type: 'sgd' }, params: ['nope'] })).toThrow(/nope not declared.*w, b/);
    expect(() => buildTrainStep(build, { optimizer: { type: 'adam' } as never })).toThrow(/not one of adamw, rmsprop, sgd/);
  });
});
