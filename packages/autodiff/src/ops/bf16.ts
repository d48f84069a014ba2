// A bfloat16 tensor held as its raw bits (uint16: onnxruntime-node has no bfloat16 tensor type)
// and decoded to the graph's float type only where it is used: a frozen bf16 base costs 2 bytes per
// parameter at rest. bfloat16 is the top half of an IEEE float32 (Google Brain's format, as
// torch.bfloat16), so bits b decode to the float32 with bits b << 16. From opset 26 (ONNX BitCast,
// in onnxruntime 1.30) a float32 graph decodes by Cast to int32, Mul by 2^16 (two's-complement
// wrap-around gives the high half's sign bit) and BitCast to float32: three passes, measured 2.3x
// faster than the table; below opset 26, or in float64, by a Gather from the 65,536-entry table of
// every pattern's value (256 KiB, cache-resident). Both exact.
import type { GraphBuilder } from '../builder.ts';
import type { Tensor } from '../types.ts';

const tables = new WeakMap<GraphBuilder, Tensor>();

/** The value of every bfloat16 bit pattern, as one constant of the graph's float type. */
function decodeTable(g: GraphBuilder): Tensor {
  let t = tables.get(g);
  if (!t) {
    const words = new Uint32Array(65536);
    for (let i = 0; i < 65536; i++) words[i] = i << 16;
    t = g.constant(new Float32Array(words.buffer), [65536]);
    tables.set(g, t);
  }
  return t;
}

/**
 * bfloat16 bits (uint16, any shape) -> the graph's float type, exactly. `variant` 1 builds the same
 * decode from other nodes (the bits flattened first, or int64 table indices), so ORT's
 * common-subexpression elimination cannot merge a recomputation with a variant-0 decode.
 */
export function bf16ToFloat(g: GraphBuilder, bits: Tensor, variant: 0 | 1 = 0): Tensor {
  if (bits.dtype !== 'uint16') throw new Error(`bf16ToFloat: ${bits.name} has dtype ${bits.dtype}; bfloat16 bits are uint16`);
  if (g.opset >= 26 && g.floatType === 'float32') {
    const src = variant === 0 ? bits : g.reshape(bits, [-1]);
    const words = g.mul(g.cast(src, 'int32'), g.constant([65536], [], 'int32'));
    const f = g.rawOp({ opType: 'BitCast', inputs: [words], attributes: { to: { type: 'int', value: 1 } }, outputShape: [...src.shape], dtype: 'float32' });
    return variant === 0 ? f : g.reshape(f, [...bits.shape]);
  }
  return g.gather(decodeTable(g), g.cast(bits, variant === 0 ? 'int32' : 'int64'), 0);
}

/**
 * y = x W^T (+ c) for x [N, in] with a frozen W [out, in] held as bfloat16 bits: HF Linear on a
 * bf16 weight (opset 26 for the fast decode). W is decoded for the product and again in the backward pass (dx = dy W)
 * instead of being kept from the forward, so no float copy of W lives longer than one product: the
 * peak holds one layer's decoded weight, not the whole model's. No gradient for W (frozen).
 */
export function gemmBf16(g: GraphBuilder, x: Tensor, wBits: Tensor, c?: Tensor): Tensor {
  if (wBits.shape.length !== 2 || x.shape.length !== 2) throw new Error(`gemmBf16: x and W must be 2-D, got ${x.shape.length} and ${wBits.shape.length} dims`);
  if (x.shape[1] !== wBits.shape[1]) throw new Error(`gemmBf16: x [${x.shape.join(', ')}] does not fit W [${wBits.shape.join(', ')}]`);
  const w = bf16ToFloat(g, wBits, 0);
  const attrs = { transB: { type: 'int', value: 1 } } as const;
  return g.emit('Gemm', c ? [x, w, c] : [x, w], [x.shape[0]!, wBits.shape[0]!], x.dtype, {
    attrs,
    gradInputs: c ? [x, c] : [x],
    grad: (gg, _op, [dy], needs) => {
      const dx = needs[0] && dy ? gg.gemm(dy, bf16ToFloat(gg, wBits, 1)) : undefined;
      const dc = c && needs[1] && dy ? gg.reduceSum(dy, [0]) : undefined;
      return [dx, dc];
    },
  });
}

/** float32 -> bfloat16 bits, rounding to nearest even (torch's .to(torch.bfloat16)); NaN stays NaN. */
export function floatToBf16Bits(values: Float32Array): Uint16Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const w = words[i]!;
    if ((w & 0x7fffffff) > 0x7f800000) out[i] = (w >>> 16) | 0x40; // quiet NaN
    else out[i] = (w + 0x7fff + ((w >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** bfloat16 bits -> float32 (exact). */
export function bf16BitsToFloat(bits: Uint16Array): Float32Array {
  const words = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) words[i] = bits[i]! << 16;
  return new Float32Array(words.buffer);
}
