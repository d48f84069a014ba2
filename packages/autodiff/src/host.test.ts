// The tensor host's carried outputs: ORT writes them into two preallocated sets used in turn. The
// values must be those of fresh outputs, whatever order sessions (shape buckets) run in, and
// tensors handed out must not change when later runs reuse the buffers.
import { describe, expect, it } from 'vitest';
import { createGraph } from './builder.ts';
import { createLocalHost } from './host.ts';

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
