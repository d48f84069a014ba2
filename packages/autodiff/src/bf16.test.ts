// bfloat16 bits held as uint16 and decoded where used: exact decoding, round-to-nearest-even
// encoding, and the frozen bf16 linear's gradient by central differences (float64).
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createGraph } from './builder.ts';
import { checkGradients } from './gradcheck.ts';
import { bf16BitsToFloat, bf16ToFloat, floatToBf16Bits, gemmBf16 } from './ops/bf16.ts';
import { createSession } from './session.ts';

describe('bfloat16 bits', () => {
  it('encode rounds to nearest even (torch .to(torch.bfloat16)); decode is exact', () => {
    const x = Float32Array.of(1, -3, 3.140625, 0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 65536 * 1.5, -0, Infinity, 1e-30);
    const bits = floatToBf16Bits(x);
    expect([...bits.slice(0, 8)]).toEqual([0x3f80, 0xc040, 0x4049, 0x0000, 0x3f80, 0x3f82, 0x47c0, 0x8000]);
    expect(bits[8]).toBe(0x7f80);
    expect(bf16BitsToFloat(floatToBf16Bits(Float32Array.of(NaN)))[0]).toBeNaN();
    const back = bf16BitsToFloat(bits);
    expect(back[5]).toBe(1 + 2 ** -6);
    expect(Math.abs(back[9]! - 1e-30) / 1e-30).toBeLessThanOrEqual(2 ** -9); // half an ulp of 8 significant bits
  });

  for (const [label, opset, variant] of [
    ['table (opset 18)', 18, 0],
    ['table, int64 indices', 18, 1],
    ['BitCast (opset 26)', 26, 0],
    ['BitCast of the flattened bits', 26, 1],
  ] as const) {
    it(`the in-graph decode gives bits << 16 for every pattern: ${label}`, async () => {
      const g = createGraph({ name: 'decode', opset });
      g.output('y', bf16ToFloat(g, g.input('bits', [256, 256], 'uint16'), variant));
      const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
      const s = await createSession(g.toModel());
      const y = (await s.run({ bits: new ort.Tensor('uint16', all, [256, 256]) })).y!.data as Float32Array;
      await s.release();
      const want = bf16BitsToFloat(all);
      for (let i = 0; i < 65536; i++) if (!Number.isNaN(want[i])) expect(Object.is(y[i], want[i]), `pattern ${i}`).toBe(true);
    });
  }

  it('gemmBf16: gradients of x and the bias by central differences (float64); W decoded again for the backward pass', async () => {
    const w = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
    const bits = floatToBf16Bits(w);
    const report = await checkGradients({
      build: (g, p, d) => {
        const y = gemmBf16(g, p.x!, d.w!, p.c);
        return g.reduceSum(g.mul(y, g.sin(y)), []);
      },
      params: { x: { shape: [5, 4] }, c: { shape: [3] } },
      data: { w: { shape: [3, 4], dtype: 'uint16', values: bits } },
    });
    expect(report.maxError, JSON.stringify(report.perParam)).toBeLessThan(1e-7);
    // The backward pass decodes W itself, from other nodes than the forward's (not merged by ORT's CSE).
    const g = createGraph({ name: 'train', opset: 26 });
    const x = g.param('x', [5, 4]);
    const y = gemmBf16(g, x, g.input('w', [3, 4], 'uint16'));
    g.gradients(g.reduceSum(g.mul(y, y), []), [x]);
    expect(g.opRecords.filter((op) => op.def.opType === 'BitCast')).toHaveLength(2);
    expect(g.opRecords.filter((op) => op.def.opType === 'BitCast').map((op) => op.inputs[0]!.shape)).toEqual([[3, 4], [12]]);
  });
});
