// A bfloat16 tensor held as its raw bits (uint16: onnxruntime-node has no bfloat16 tensor type)
// and decoded to the graph's float type only where it is used: a frozen bf16 base costs 2 bytes per
// parameter at rest. bfloat16 is the top half of an IEEE float32 (Google Brain's format, as
// torch.bfloat16), so bits b decode to the float32 with bits b << 16. ONNX has no bit cast, so the
// decode is a Gather from the 65,536-entry table of every pattern's value (256 KiB, cache-resident):
// exact, and two passes over the weight (Cast of the bits to indices, Gather).
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
 * bfloat16 bits (uint16, any shape) -> the graph's float type, exactly. `indexType` picks the
 * indices' type: two decodes of the same bits with different index types are different nodes, so
 * ORT's common-subexpression elimination cannot merge a recomputation with the first decode.
 */
export function bf16ToFloat(g: GraphBuilder, bits: Tensor, indexType: 'int32' | 'int64' = 'int32'): Tensor {
  if (bits.dtype !== 'uint16') throw new Error(`bf16ToFloat: ${bits.name} has dtype ${bits.dtype}; bfloat16 bits are uint16`);
  return g.gather(decodeTable(g), g.cast(bits, indexType), 0);
}

/**
 * y = x W^T (+ c) for x [N, in] with a frozen W [out, in] held as bfloat16 bits: HF Linear on a
 * bf16 weight. W is decoded for the product and decoded again in the backward pass (dx = dy W)
 * instead of being kept from the forward, so no float copy of W lives longer than one product: the
 * peak holds one layer's decoded weight, not the whole model's. No gradient for W (frozen).
 */
export function gemmBf16(g: GraphBuilder, x: Tensor, wBits: Tensor, c?: Tensor): Tensor {
  if (wBits.shape.length !== 2 || x.shape.length !== 2) throw new Error(`gemmBf16: x and W must be 2-D, got ${x.shape.length} and ${wBits.shape.length} dims`);
  if (x.shape[1] !== wBits.shape[1]) throw new Error(`gemmBf16: x [${x.shape.join(', ')}] does not fit W [${wBits.shape.join(', ')}]`);
  const w = bf16ToFloat(g, wBits, 'int32');
  const attrs = { transB: { type: 'int', value: 1 } } as const;
  return g.emit('Gemm', c ? [x, w, c] : [x, w], [x.shape[0]!, wBits.shape[0]!], x.dtype, {
    attrs,
    gradInputs: c ? [x, c] : [x],
    grad: (gg, _op, [dy], needs) => {
      const dx = needs[0] && dy ? gg.gemm(dy, bf16ToFloat(gg, wBits, 'int64')) : undefined;
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
