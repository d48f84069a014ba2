/**
 * LoRA in the graph (Hu et al. 2021, eq. 3; PEFT peft/tuners/lora/layer.py Linear.forward):
 * h = W x + (alpha / r) * B A dropout(x). The base weight W stays a frozen graph input (no weight
 * gradient is emitted for it: autodiff differentiates only towards the trainable adapter tensors);
 * A and B are the trainable params. The product is taken as (x A^T) B^T, two thin Gemms of
 * N * r * (in + out) multiply-adds, never the [out, in] matrix B A.
 */
import { gemmBf16, type GraphBuilder, type Tensor } from '@sppo/autodiff';
import { withProjectionAdapter, type ParamTensors } from '../graphs/decoder.ts';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { hashString } from '../rng.ts';
import { parameterShapes } from '../llama/params.ts';
import { loraAName, loraBName, loraParameterShapes } from './params.ts';
import { loraScale, loraTargets, type LoraSpec } from './spec.ts';

export interface LoraGraphOptions {
  /**
   * Seed of the in-graph dropout masks (one RandomUniformLike per module, seeded from this and the
   * module name). Masks differ between steps (ORT advances the generator on each run), so with
   * dropout > 0 a resumed run is not bit-identical to an uninterrupted one.
   */
  dropoutSeed?: number;
  /**
   * 'bfloat16': every decoder-layer linear weight of the base is a held uint16 input carrying
   * bfloat16 bits (2 bytes per parameter at rest), decoded where used and again in the backward
   * pass (autodiff gemmBf16); the embedding, norms and biases stay in the float type. Default
   * 'float32' (the base in the graph's float type, as frozen params).
   */
  baseDtype?: 'float32' | 'bfloat16';
}

/** The base weights that a bf16 base holds as bits: every 2-D weight of the decoder layers. */
export function bf16BaseNames(config: LlamaGraphConfig): string[] {
  return parameterShapes(config)
    .filter(({ name, shape }) => shape.length === 2 && /^model\.layers\.\d+\..*\.weight$/.test(name))
    .map((p) => p.name);
}

/**
 * PEFT's nn.Dropout on the adapter input: x * (u >= p) / (1 - p) with u uniform in [0, 1). The mask
 * comes from a RandomUniformLike node (no gradient: it does not depend on x), so the backward pass
 * is the same mask times the incoming gradient, as torch's dropout backward.
 */
function dropout(g: GraphBuilder, x: Tensor, p: number, seed: number): Tensor {
  const u = g.rawOp({ opType: 'RandomUniformLike', inputs: [g.stopGradient(x)], attributes: { seed: { type: 'float', value: seed } }, outputShape: [...x.shape], dtype: x.dtype });
  return g.mul(x, g.mul(g.cast(g.greaterOrEqual(u, p), x.dtype), 1 / (1 - p)));
}

/** scale * dropout(x) A^T B^T for x [..., in] -> [..., out]. */
export function loraDelta(g: GraphBuilder, x: Tensor, a: Tensor, b: Tensor, scale: number, p = 0, seed = 0): Tensor {
  const inDim = x.shape[x.shape.length - 1] as number;
  const outDim = b.shape[0] as number;
  let flat = g.reshape(x, [-1, inDim]);
  if (p > 0) flat = dropout(g, flat, p, seed);
  const down = g.gemm(flat, a, { transB: true }); // [N, r]
  const up = g.gemm(down, b, { transB: true, alpha: scale }); // [N, out]
  return g.reshape(up, [...x.shape.slice(0, -1), outDim]);
}

/**
 * Declares the base params (frozen unless the caller trains them) and the adapter params of every
 * target module, and attaches the adapter to the decoder's projections. Returns the params by name
 * (base and adapter) plus the adapter's names, the trainable set of a LoRA step.
 */
export function declareLoraParams(g: GraphBuilder, config: LlamaGraphConfig, spec: LoraSpec, { dropoutSeed = 0, baseDtype = 'float32' }: LoraGraphOptions = {}): { params: ParamTensors; adapterNames: string[]; heldNames: string[] } {
  const targets = loraTargets(config, spec);
  const bits = new Set(baseDtype === 'bfloat16' ? bf16BaseNames(config) : []);
  const params: ParamTensors = {};
  for (const { name, shape } of parameterShapes(config)) params[name] = bits.has(name) ? g.input(name, shape, 'uint16') : g.param(name, shape);
  const adapterNames: string[] = [];
  for (const { name, shape } of loraParameterShapes(targets, spec.r)) {
    params[name] = g.param(name, shape);
    adapterNames.push(name);
  }
  const scale = loraScale(spec);
  const adapted = new Set(targets.map((t) => t.module));
  withProjectionAdapter(params, (gg, x, module, base) => {
    const y = bits.has(`${module}.weight`) ? bf16Linear(gg, x, params[`${module}.weight`]!, params[`${module}.bias`]) : base();
    if (!adapted.has(module)) return y;
    const seed = (dropoutSeed ^ hashString(module)) % 2 ** 24;
    return gg.add(y, loraDelta(gg, x, params[loraAName(module)]!, params[loraBName(module)]!, scale, spec.dropout, seed));
  });
  return { params, adapterNames, heldNames: [...bits] };
}

/** HF Linear on [..., in] with the weight held as bfloat16 bits [out, in]. */
function bf16Linear(g: GraphBuilder, x: Tensor, wBits: Tensor, bias?: Tensor): Tensor {
  const inDim = x.shape[x.shape.length - 1] as number;
  const y = gemmBf16(g, g.reshape(x, [-1, inDim]), wBits, bias);
  return g.reshape(y, [...x.shape.slice(0, -1), wBits.shape[0]!]);
}
