// The tensor host's carried outputs: ORT writes them into two preallocated sets used in turn. The
// values must be those of fresh outputs, whatever order sessions (shape buckets) run in, and
// tensors handed out must not change when later runs reuse the buffers.
import { describe, expect, it } from 'vitest';
import { createGraph } from './builder.ts';
import { createLocalHost } from './host.ts';
import { optimizerScalars } from './optimizer.ts';
import { buildTrainStep } from './trainstep.ts';

/** next/x = x + inc, next/y = 2 y: one step of a toy "optimizer" carrying two tensors. */
function counterGraph(name: string): Uint8Array {
  const g = createGraph({ name, floatType: 'float32' });
  const x = g.input('x', [3]);
  const y = g.input('y', [2]);
  const inc = g.input('inc', []);
  g.output('next/x', g.add(x, inc));
  g.output('next/y', g.mul(y, 2));
  g.output('sum', g.reduceSum(x, []));
  return g.toModel();
}

const carry: [string, string][] = [
  ['next/x', 'x'],
  ['next/y', 'y'],
];
const scalar = (v: number) => ({ dtype: 'float32' as const, dims: [], data: Float32Array.of(v) });

describe('tensor host, preallocated carried outputs', () => {
  it('gives the same values as fresh outputs across two sessions in any order; exported tensors are copies', async () => {
    const host = createLocalHost();
    await host.load('a', counterGraph('a'));
    await host.load('b', counterGraph('b'));
    await host.setTensors({ x: { dtype: 'float32', dims: [3], data: Float32Array.of(0, 1, 2) }, y: { dtype: 'float32', dims: [2], data: Float32Array.of(1, -1) } });
    const order = ['a', 'a', 'b', 'a', 'b', 'b', 'a'];
    let x = [0, 1, 2];
    let y = [1, -1];
    const snapshots: { x: number[]; data: Float32Array }[] = [];
    for (const [i, key] of order.entries()) {
      const out = await host.run({ key, feeds: { inc: scalar(i + 1) }, carry, fetch: ['sum'] });
      expect(Number(out.sum!.data[0])).toBe(x.reduce((a, b) => a + b, 0));
      x = x.map((v) => v + i + 1);
      y = y.map((v) => v * 2);
      const held = await host.getTensors(['x', 'y']);
      expect(Array.from(held.x!.data as Float32Array)).toEqual(x);
      expect(Array.from(held.y!.data as Float32Array)).toEqual(y);
      snapshots.push({ x: [...x], data: held.x!.data as Float32Array });
    }
    // Buffers reused by later runs did not change what was handed out earlier.
    for (const s of snapshots) expect(Array.from(s.data)).toEqual(s.x);
    await host.close();
  });

  it('a tensor set by the caller is never overwritten by a run', async () => {
    const host = createLocalHost();
    await host.load('a', counterGraph('a'));
    const mine = Float32Array.of(5, 5, 5);
    await host.setTensors({ x: { dtype: 'float32', dims: [3], data: mine }, y: { dtype: 'float32', dims: [2], data: Float32Array.of(1, 1) } });
    for (let i = 0; i < 3; i++) await host.run({ key: 'a', feeds: { inc: scalar(1) }, carry });
    expect(Array.from(mine)).toEqual([5, 5, 5]);
    expect(Array.from((await host.getTensors(['x'])).x!.data as Float32Array)).toEqual([8, 8, 8]);
    await host.close();
  });
});

describe('tensor host, carried outputs written in place', () => {
  // A two-layer regression with clipping: the step graph declares carryInPlace.
  const step = buildTrainStep(
    (g) => {
      const x = g.input('x', [4, 3]);
      const y = g.input('y', [4, 2]);
      const w1 = g.param('w1', [3, 5]);
      const w2 = g.param('w2', [5, 2]);
      const out = g.matmul(g.tanh(g.matmul(x, w1)), w2);
      return { loss: g.reduceMean(g.pow(g.sub(out, y), 2), []) };
    },
    { optimizer: { type: 'adamw', weightDecay: 0.1 }, maxGradNorm: 0.5 },
  );
  const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.9));

  it('is declared only where every read of a carried input precedes its update (clipping)', () => {
    expect(step.carryInPlace).toBe(true);
    const unclipped = buildTrainStep((g) => ({ loss: g.reduceSum(g.pow(g.param('w', [2]), 2), []) }), { optimizer: { type: 'adamw' } });
    expect(unclipped.carryInPlace).toBe(false);
  });

  it('gives bit-identical params to fresh outputs over several steps, and never writes the caller\'s arrays', async () => {
    const run = async (inPlace: boolean) => {
      const host = createLocalHost();
      await host.load('step', step.model);
      const w1 = values(15, 1);
      const w2 = values(10, 2);
      const init = { w1: w1.slice(), w2: w2.slice() };
      const held: Record<string, { dtype: 'float32'; dims: number[]; data: Float32Array }> = {
        w1: { dtype: 'float32', dims: [3, 5], data: w1 },
        w2: { dtype: 'float32', dims: [5, 2], data: w2 },
      };
      for (const s of step.state) held[s.name] = { dtype: 'float32', dims: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) };
      await host.setTensors(held);
      for (let k = 1; k <= 6; k++) {
        const feeds: Record<string, { dtype: 'float32'; dims: number[]; data: Float32Array }> = {
          x: { dtype: 'float32', dims: [4, 3], data: values(12, 10 + k) },
          y: { dtype: 'float32', dims: [4, 2], data: values(8, 20 + k) },
        };
        for (const [n, v] of Object.entries(optimizerScalars(step.optimizer!, k, 0.05))) feeds[n] = { dtype: 'float32', dims: [], data: Float32Array.of(v) };
        await host.run({ key: 'step', feeds, carry: step.carry, fetch: step.outputs, inPlace });
      }
      expect(Array.from(w1)).toEqual(Array.from(init.w1));
      expect(Array.from(w2)).toEqual(Array.from(init.w2));
      const out = await host.getTensors(['w1', 'w2', ...step.state.map((s) => s.name)]);
      await host.close();
      return Object.fromEntries(Object.entries(out).map(([n, t]) => [n, Array.from(t.data as Float32Array)]));
    };
    const inPlace = await run(true);
    const buffered = await run(false);
    expect(inPlace).toEqual(buffered);
    expect(inPlace.w1).not.toEqual(Array.from(values(15, 1))); // the steps moved the weights
  });
});
