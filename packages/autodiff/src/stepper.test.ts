// The stepper and worker-thread runtime on a tiny softmax classifier: training reduces the loss,
// buckets share params, worker and main thread agree bit for bit, save/restore resumes exactly.
import { describe, expect, it } from 'vitest';
import type { GraphBuilder } from './builder.ts';
import { createGraph } from './builder.ts';
import { seededNormal } from './gradcheck.ts';
import { createSession } from './session.ts';
import { deserializeOptimizerState, serializeOptimizerState } from './state.ts';
import { createTrainStepper } from './stepper.ts';
import { buildGradientStep, buildTrainStep } from './trainstep.ts';
import type { TensorData } from './types.ts';
import { createWorkerSession } from './worker-session.ts';

const D = 4;
const C = 3;
type Bucket = { batch: number };

/** A linear softmax classifier's step per bucket; `trainable` limits the params that train (the rest frozen). */
const classifierTraining =
  (trainable?: string[]) =>
  ({ batch }: Bucket) =>
    buildTrainStep(
      (g: GraphBuilder) => {
        const x = g.input('x', [batch, D]);
        const y = g.input('y', [batch, 1], 'int64');
        const w = g.param('w', [D, C]);
        const b = g.param('b', [C]);
        const logp = g.logSoftmax(g.add(g.matmul(x, w), b), -1);
        return { loss: g.neg(g.reduceMean(g.gatherElements(logp, y, 1), [])) };
      },
      { optimizer: { type: 'adamw', weightDecay: 0 }, maxGradNorm: 1, ...(trainable === undefined ? {} : { params: trainable }) },
    );
const classifier = classifierTraining();

function data(batch: number, seed: number): Record<string, TensorData> {
  const r = seededNormal(seed);
  const x = Float32Array.from({ length: batch * D }, r);
  // label = argmax of the first C features: learnable by a linear model
  const y = BigInt64Array.from({ length: batch }, (_, i) => {
    const row = Array.from(x.subarray(i * D, i * D + C));
    return BigInt(row.indexOf(Math.max(...row)));
  });
  return { x: { dtype: 'float32', dims: [batch, D], data: x }, y: { dtype: 'int64', dims: [batch, 1], data: y } };
}

const init = () => ({ w: new Float32Array(D * C), b: new Float32Array(C) });

describe('train stepper', () => {
  it('a frozen param (e.g. a LoRA base) stays as given over two buckets, has no optimizer state, and can be left out of getParams', async () => {
    const adapterOnly = classifierTraining(['b']);
    const graph = adapterOnly({ batch: 5 });
    expect(graph.frozen.map((p) => p.name)).toEqual(['w']);
    expect(graph.carry.map(([, i]) => i)).toEqual(['b', 'optim/exp_avg/b', 'optim/exp_avg_sq/b']);
    const w0 = Float32Array.from({ length: D * C }, seededNormal(3));
    const s = await createTrainStepper<Bucket>({ buildStep: adapterOnly, params: { w: w0, b: new Float32Array(C) }, thread: 'main' });
    for (let i = 0; i < 6; i++) await s.step({ batch: i % 2 ? 8 : 5 }, data(i % 2 ? 8 : 5, i), { lr: 0.05 });
    const only = await s.getParams(['b']);
    expect(Object.keys(only)).toEqual(['b']);
    expect(only.b!.some((v) => v !== 0)).toBe(true);
    expect((await s.getParams()).w).toEqual(w0);
    await expect(s.getParams(['nope'])).rejects.toThrow(/nope not params of this stepper/);
    await s.close();
  });

  it('trains in a worker thread over two shape buckets; matches the main thread exactly', async () => {
    const run = async (thread: 'worker' | 'main') => {
      const s = await createTrainStepper<Bucket>({ buildStep: classifier, params: init(), thread });
      const losses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const bucket = { batch: i % 2 ? 8 : 5 };
        losses.push((await s.step(bucket, data(bucket.batch, i), { lr: 0.05 })).loss!);
      }
      const params = await s.getParams();
      expect(s.stepCount).toBe(30);
      await s.close();
      return { losses, params };
    };
    const worker = await run('worker');
    const main = await run('main');
    expect(worker.losses[0]).toBeCloseTo(Math.log(C), 5);
    expect(worker.losses.slice(-4).reduce((a, b) => a + b) / 4).toBeLessThan(0.75 * Math.log(C));
    expect(worker.losses).toEqual(main.losses);
    expect(worker.params.w).toEqual(main.params.w);
  });

  it('saves and restores optimizer state: a resumed run continues exactly', async () => {
    const straight = await createTrainStepper<Bucket>({ buildStep: classifier, params: init(), thread: 'main' });
    for (let i = 0; i < 6; i++) await straight.step({ batch: 5 }, data(5, i), { lr: 0.05 });
    const want = await straight.getParams();
    await straight.close();

    const first = await createTrainStepper<Bucket>({ buildStep: classifier, params: init(), thread: 'main' });
    for (let i = 0; i < 3; i++) await first.step({ batch: 5 }, data(5, i), { lr: 0.05 });
    const saved = serializeOptimizerState(await first.getState());
    const params = await first.getParams();
    await first.close();
    const state = deserializeOptimizerState(saved);
    expect(state.step).toBe(3);
    expect(Object.keys(state.tensors).sort()).toEqual(['optim/exp_avg/b', 'optim/exp_avg/w', 'optim/exp_avg_sq/b', 'optim/exp_avg_sq/w']);
    const resumed = await createTrainStepper<Bucket>({ buildStep: classifier, params, state, thread: 'main' });
    for (let i = 3; i < 6; i++) await resumed.step({ batch: 5 }, data(5, i), { lr: 0.05 });
    expect(await resumed.getParams()).toEqual(want);
    await resumed.close();
  });

  it('accumulates micro-batches in-graph and applies one update: matches a fused step on the whole batch', async () => {
    const grads = ({ batch }: Bucket) =>
      buildGradientStep(
        (g: GraphBuilder) => {
          const x = g.input('x', [batch, D]);
          const y = g.input('y', [batch, 1], 'int64');
          const logp = g.logSoftmax(g.add(g.matmul(x, g.param('w', [D, C])), g.param('b', [C])), -1);
          return { loss: g.neg(g.reduceMean(g.gatherElements(logp, y, 1), [])) };
        },
        { accumulate: true },
      );
    const acc = await createTrainStepper<Bucket>({ buildStep: classifier, buildGradients: grads, optimizer: { type: 'adamw', weightDecay: 0 }, maxGradNorm: 1, params: init(), thread: 'main' });
    const fused = await createTrainStepper<Bucket>({ buildStep: classifier, params: init(), thread: 'main' });
    const half = (t: TensorData, part: number, rows: number): TensorData => {
      const width = t.dims[1]!;
      return { ...t, dims: [rows, width], data: t.data.slice(part * rows * width, (part + 1) * rows * width) as typeof t.data };
    };
    for (let i = 0; i < 3; i++) {
      const whole = data(10, 100 + i);
      const losses = [];
      for (const part of [0, 1]) losses.push((await acc.accumulate({ batch: 5 }, { x: half(whole.x!, part, 5), y: half(whole.y!, part, 5) })).loss!);
      const { grad_norm } = await acc.apply({ lr: 0.05 });
      const ref = await fused.step({ batch: 10 }, whole, { lr: 0.05 });
      expect((losses[0]! + losses[1]!) / 2).toBeCloseTo(ref.loss!, 5);
      expect(grad_norm).toBeCloseTo(ref.grad_norm!, 5);
    }
    expect(acc.stepCount).toBe(3);
    const [pa, pf] = [await acc.getParams(), await fused.getParams()];
    pa.w!.forEach((v, i) => expect(v).toBeCloseTo(pf.w![i]!, 5));
    expect(Math.max(...pa.w!.map(Math.abs))).toBeGreaterThan(0.05); // training moved the weights
    await expect(acc.apply({ lr: 0.05 })).rejects.toThrow(/no gradients accumulated/);
    await acc.close();
    await fused.close();
  });

  it('reports a missing batch input and a wrong param size', async () => {
    const s = await createTrainStepper<Bucket>({ buildStep: classifier, params: init(), thread: 'main' });
    await expect(s.step({ batch: 5 }, { x: data(5, 0).x! }, { lr: 0.1 })).rejects.toThrow(/batch is missing y/);
    await s.close();
    const bad = await createTrainStepper<Bucket>({ buildStep: classifier, params: { w: new Float32Array(3), b: new Float32Array(C) }, thread: 'main' });
    await expect(bad.step({ batch: 5 }, data(5, 0), { lr: 0.1 })).rejects.toThrow(/"w" has 3 values, the graph expects shape \[4,3\]/);
    await bad.close();
  });
});

describe('worker session', () => {
  it('runs a model off the main thread: same outputs, and the event loop keeps ticking', async () => {
    const n = 384;
    const g = createGraph({ name: 'busy' });
    const a = g.input('a', [n, n]);
    let t = a;
    for (let i = 0; i < 24; i++) t = g.tanh(g.matmul(t, a));
    g.output('y', g.reduceSum(t, []));
    const model = g.toModel();
    const values = Float32Array.from({ length: n * n }, seededNormal(3)).map((v) => v / n);
    const feeds = { a: { dtype: 'float32' as const, dims: [n, n], data: values } };

    const ws = await createWorkerSession(model, { intraOpNumThreads: 1 });
    expect(ws.inputNames).toEqual(['a']);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const out = await ws.run(feeds);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    // The main thread was free while the worker computed: timers fired during the run.
    if (elapsed > 20) expect(ticks).toBeGreaterThan(2);

    const local = await createSession(model, { intraOpNumThreads: 1 });
    const { Tensor } = await import('onnxruntime-node');
    const ref = await local.run({ a: new Tensor('float32', values, [n, n]) });
    expect(out.y!.data[0]).toBe(ref.y!.data[0]);
    await expect(ws.run({})).rejects.toThrow(/inputs a were neither fed nor held/);
    await ws.close();
    await local.release();
  });
});
