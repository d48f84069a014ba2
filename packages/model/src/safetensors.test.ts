import { describe, expect, it } from 'vitest';
import { floatToBf16Bits, floatToHalfBits, readSafetensors, readSafetensorsF64, readSafetensorsHeader, roundToDtype, writeSafetensors } from './safetensors.ts';

/** A safetensors file built by hand: header JSON (unpadded) + raw data bytes. */
function handMade(header: Record<string, unknown>, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

/** Little-endian bytes of 16-bit words. */
const le16 = (words: number[]): number[] => words.flatMap((w) => [w & 0xff, w >> 8]);

describe('safetensors', () => {
  it('round-trips float32 tensors with metadata and an aligned data buffer', () => {
    const a = Float32Array.from([1.5, -2.25, 3e-8, 65504, -0]);
    const b = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 1e3);
    const bytes = writeSafetensors([
      ['a.weight', { shape: [5], data: a }],
      ['model.b', { shape: [3, 4], data: b }],
    ]);
    const header = readSafetensorsHeader(bytes);
    expect(header.dataStart % 8).toBe(0);
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.entries.get('model.b')).toEqual({ dtype: 'F32', shape: [3, 4], begin: 20, end: 68 });
    const { tensors, dtypes } = readSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['a.weight', 'model.b']);
    expect(tensors.get('a.weight')?.data).toEqual(a);
    expect(tensors.get('model.b')).toEqual({ shape: [3, 4], data: b });
    expect(dtypes.get('a.weight')).toBe('F32');
    // A Node Buffer at an odd offset inside a larger pool (as fs.readFile may return).
    const pooled = Buffer.alloc(bytes.byteLength + 3);
    pooled.set(bytes, 3);
    expect(readSafetensors(pooled.subarray(3)).tensors.get('model.b')?.data).toEqual(b);
  });

  it('rounds float64 input to float32 and handles scalars and empty tensors', () => {
    const bytes = writeSafetensors([
      ['scalar', { shape: [], data: Float64Array.from([0.1]) }],
      ['empty', { shape: [0, 3], data: new Float64Array(0) }],
    ]);
    const { tensors } = readSafetensors(bytes);
    expect(tensors.get('scalar')?.data[0]).toBe(Math.fround(0.1));
    expect(tensors.get('empty')?.data.length).toBe(0);
  });

  it('decodes F16 from hand-made bytes (normal, negative, max, subnormal, infinity)', () => {
    // 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504, 0x0001 = 2^-24, 0x7C00 = +inf, 0x3555 = 0.333251953125
    const words = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x3555];
    const bytes = handMade({ h: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] } }, le16(words));
    const t = readSafetensors(bytes).tensors.get('h');
    expect(t?.shape).toEqual([2, 3]);
    expect(Array.from(t?.data ?? [])).toEqual([1, -2, 65504, 2 ** -24, Infinity, 0.333251953125]);
  });

  it('decodes BF16 from hand-made bytes', () => {
    // bf16 is the high half of a float32: 0x3F80 = 1, 0xC040 = -3, 0x4049 = 3.140625, 0x0000 = 0
    const bytes = handMade({ w: { dtype: 'BF16', shape: [4], data_offsets: [0, 8] } }, le16([0x3f80, 0xc040, 0x4049, 0x0000]));
    expect(Array.from(readSafetensors(bytes).tensors.get('w')?.data ?? [])).toEqual([1, -3, 3.140625, 0]);
  });

  it('decodes F64, exactly with readSafetensorsF64', () => {
    const data = new Uint8Array(16);
    const view = new DataView(data.buffer);
    view.setFloat64(0, 0.1, true);
    view.setFloat64(8, -1e300, true);
    const bytes = handMade({ __metadata__: { format: 'pt' }, d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, [...data]);
    expect(Array.from(readSafetensorsF64(bytes).tensors.get('d')?.data ?? [])).toEqual([0.1, -1e300]);
    expect(readSafetensors(bytes).tensors.get('d')?.data[0]).toBe(Math.fround(0.1));
  });

  it('reports corrupted headers clearly', () => {
    const good = writeSafetensors([['x', { shape: [2], data: Float32Array.from([1, 2]) }]]);
    expect(() => readSafetensors(good.subarray(0, 5))).toThrow(/fewer than the 8-byte header length/);
    const tooLong = good.slice();
    new DataView(tooLong.buffer).setBigUint64(0, 1_000_000n, true);
    expect(() => readSafetensors(tooLong)).toThrow(/runs past the end/);
    const notJson = good.slice();
    notJson[8] = 0x5b; // '[' instead of '{' breaks the JSON
    expect(() => readSafetensors(notJson, 'model.safetensors')).toThrow(/model.safetensors is not a valid safetensors file: the header is not/);
    expect(() => readSafetensors(handMade({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Array(8).fill(0)))).toThrow(
      /hold 8 bytes but F32 \[3\] needs 12/,
    );
    expect(() => readSafetensors(handMade({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Array(12).fill(0)))).toThrow(
      /4 trailing bytes/,
    );
    expect(() =>
      readSafetensors(
        handMade(
          { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
          new Array(12).fill(0),
        ),
      ),
    ).toThrow(/overlap/);
    expect(() => readSafetensors(handMade({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Array(8).fill(0)))).toThrow(
      /dtype "I64" is not supported here; supported: F64, F32, F16, BF16/,
    );
  });

  it('refuses inconsistent input when writing', () => {
    expect(() => writeSafetensors([['x', { shape: [2, 2], data: new Float32Array(3) }]])).toThrow(/shape \[2, 2\] \(4 elements\) but 3 values/);
    expect(() => writeSafetensors([['__metadata__', { shape: [1], data: new Float32Array(1) }]])).toThrow(/reserved/);
  });

  it('writes BF16 and F16 rounding to nearest even, as torch casts, and reads them back exactly', () => {
    const u = 2 ** -8; // half a bfloat16 ulp at 1
    expect(floatToBf16Bits(1)).toBe(0x3f80);
    expect(floatToBf16Bits(1 + u)).toBe(0x3f80); // tie -> even
    expect(floatToBf16Bits(1 + 3 * u)).toBe(0x3f82); // tie -> even (up)
    expect(floatToBf16Bits(-2.5)).toBe(0xc020);
    expect(floatToBf16Bits(NaN)).toBe(0x7fc0);
    expect(floatToHalfBits(1)).toBe(0x3c00);
    expect(floatToHalfBits(0.1)).toBe(0x2e66);
    expect(floatToHalfBits(65504)).toBe(0x7bff);
    expect(floatToHalfBits(65520)).toBe(0x7c00); // rounds up past the largest half: infinity
    expect(floatToHalfBits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(floatToHalfBits(2 ** -26)).toBe(0x0000);
    expect(floatToHalfBits(-(2 ** -14))).toBe(0x8400); // smallest normal
    const data = Float32Array.from([1, 1 + u, 1 + 3 * u, 0.1, -3.14159, 65504, 2 ** -24, 1e-3]);
    for (const dtype of ['BF16', 'F16'] as const) {
      const bytes = writeSafetensors([['w', { shape: [2, 4], data }]], undefined, dtype);
      const back = readSafetensors(bytes);
      expect(back.dtypes.get('w')).toBe(dtype);
      expect(back.tensors.get('w')?.shape).toEqual([2, 4]);
      expect(Array.from(back.tensors.get('w')?.data ?? [])).toEqual(Array.from(roundToDtype(data, dtype)));
      expect(bytes.byteLength).toBeLessThan(writeSafetensors([['w', { shape: [2, 4], data }]]).byteLength);
    }
    expect(Array.from(roundToDtype(data, 'BF16')).slice(0, 3)).toEqual([1, 1, 1 + 4 * u]);
  });
});
