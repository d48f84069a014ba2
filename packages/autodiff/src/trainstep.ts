// From a forward graph with a scalar loss to the graphs a trainer runs (ENGINE-NOTES, "Recommended
// shape of the engine"): (a) a fused step: params, optimizer state, lr and bias corrections and a
// batch in; loss, metrics, grad norm, new params and state out; (b) a gradients-only graph with
// in-graph accumulation plus (c) a separate optimizer graph, for micro-batch accumulation.
import { createGraph } from './builder.ts';
import type { GraphBuilder } from './builder.ts';
import type { GraphOptions } from './core.ts';
import { emitOptimizer, globalNormClip, nextName, resolveOptimizer } from './optimizer.ts';
import type { OptimizerConfig } from './optimizer.ts';
import type { Dim, DType, FloatType, Tensor } from './types.ts';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Only for held non-float inputs (StepBuildOptions.held, e.g. bfloat16 bits as uint16); params are the graph's float type. */
  dtype?: DType;
}

export interface StepGraph {
  /** The serialized ONNX ModelProto. */
  model: Uint8Array;
  kind: 'train' | 'gradients' | 'optimizer';
  /** Trainable params: graph inputs with these names. */
  params: ParamSpec[];
  /** Params that are inputs of the graph but not updated by it. */
  frozen: ParamSpec[];
  /** Batch inputs. */
  data: { name: string; shape: Dim[]; dtype: DType }[];
  /** Carried state inputs (optimizer moments, gradient accumulators). */
  state: ParamSpec[];
  /** Scalar hyperparameter inputs fed every run: 'lr', AdamW's corrections, 'grad_scale'. */
  scalars: string[];
  /** [output, input] pairs: feed the output back as that input on the next run. */
  carry: [string, string][];
  /**
   * Every read of a carried input precedes, by the graph's own dependencies, the node that writes
   * its carried output, so a runtime may write the output into the input's buffer (TensorHost
   * run's inPlace). True for a fused step with clipping (every update waits for the global norm,
   * which waits for every gradient, which waits for every use of every weight), for the
   * optimizer graph and for gradient accumulation (each carried tensor is read only by its own
   * update). Without clipping an update could be scheduled before a backward read of its weight.
   */
  carryInPlace: boolean;
  /** Per-run results: 'loss', the build's metrics, 'grad_norm'. */
  outputs: string[];
  optimizer?: OptimizerConfig;
  maxGradNorm?: number;
  floatType: FloatType;
}

export type BuildLoss = (g: GraphBuilder) => { loss: Tensor; metrics?: Record<string, Tensor> };

export interface StepBuildOptions {
  name?: string;
  floatType?: FloatType;
  opset?: number;
  gatherGradient?: GraphOptions['gatherGradient'];
  /** Trainable subset by name (default: every param the build declares); the rest are frozen inputs. */
  params?: string[];
  /**
   * Graph inputs (declared with g.input) that are frozen tensors held between steps rather than
   * batch data: listed in `frozen` with their dtype, so a stepper holds them like frozen params
   * (e.g. a LoRA base kept as bfloat16 bits).
   */
  held?: string[];
}

export interface TrainStepOptions extends StepBuildOptions {
  optimizer: OptimizerConfig;
  /** Global L2 clipping like torch.nn.utils.clip_grad_norm_ (HF max_grad_norm); none when omitted. */
  maxGradNorm?: number;
}

const spec = (t: Tensor): ParamSpec => ({ name: t.name, shape: t.shape as number[] });

function forward(build: BuildLoss, { name, floatType = 'float32', opset = 18, gatherGradient = 'scatter', params, held = [] }: StepBuildOptions & { name: string }) {
  const g = createGraph({ name, floatType, opset, gatherGradient });
  const { loss, metrics = {} } = build(g);
  const all = [...g.params];
  if (params) {
    const unknown = params.filter((n) => !all.some((p) => p.name === n));
    if (unknown.length) throw new Error(`params: ${unknown.join(', ')} not declared by the build; declared params are ${all.map((p) => p.name).join(', ')}`);
  }
  const trainable = params ? all.filter((p) => params.includes(p.name)) : all;
  if (trainable.length === 0) throw new Error(`${name}: no trainable params; declare some with g.param(name, shape)`);
  const heldInputs = g.inputs.filter((t) => held.includes(t.name) && !all.includes(t));
  const notHeld = held.filter((n) => !heldInputs.some((t) => t.name === n));
  if (notHeld.length) throw new Error(`held: ${notHeld.join(', ')} not data inputs of the build`);
  const frozen = [...all.filter((p) => !trainable.includes(p)).map(spec), ...heldInputs.map((t) => ({ ...spec(t), dtype: t.dtype }))];
  const data = g.inputs.filter((t) => !all.includes(t) && !heldInputs.includes(t)).map((t) => ({ name: t.name, shape: [...t.shape], dtype: t.dtype }));
  g.output('loss', loss);
  for (const [k, t] of Object.entries(metrics)) g.output(k, t);
  return { g, loss, trainable, frozen, data, metricNames: Object.keys(metrics) };
}

/** The fused train step: one `run()` per optimizer step. */
export function buildTrainStep(build: BuildLoss, options: TrainStepOptions): StepGraph {
  const { optimizer, maxGradNorm } = options;
  resolveOptimizer(optimizer);
  const { g, loss, trainable, frozen, data, metricNames } = forward(build, { ...options, name: options.name ?? 'train_step' });
  const clip = globalNormClip(g, g.gradients(loss, trainable), maxGradNorm);
  g.output('grad_norm', clip.norm);
  const opt = emitOptimizer(g, trainable, clip.grads, optimizer, clip);
  for (const [n, t] of opt.outputs) g.output(n, t);
  return {
    model: g.toModel(),
    kind: 'train',
    params: trainable.map(spec),
    frozen,
    data,
    state: opt.state.map(spec),
    scalars: opt.scalars,
    carry: [...trainable, ...opt.state].map((t) => [nextName(t.name), t.name]),
    carryInPlace: maxGradNorm !== undefined,
    outputs: ['loss', ...metricNames, 'grad_norm'],
    optimizer,
    ...(maxGradNorm !== undefined ? { maxGradNorm } : {}),
    floatType: g.floatType,
  };
}

export const gradName = (param: string): string => `grad/${param}`;

/**
 * Loss, metrics and gradients of one micro-batch. With `accumulate` (default) the graph adds its
 * gradients to the `grad/<p>` inputs and outputs the sums as `next/grad/<p>` (carried), so
 * accumulation stays inside ORT; without it the gradients are output as `grad/<p>`.
 */
export function buildGradientStep(build: BuildLoss, options: StepBuildOptions & { accumulate?: boolean } = {}): StepGraph {
  const { accumulate = true } = options;
  const { g, loss, trainable, frozen, data, metricNames } = forward(build, { ...options, name: options.name ?? 'gradient_step' });
  const grads = g.gradients(loss, trainable);
  const state: Tensor[] = [];
  trainable.forEach((p, i) => {
    if (!accumulate) return g.output(gradName(p.name), grads[i]!);
    const acc = g.input(gradName(p.name), [...p.shape], g.floatType);
    state.push(acc);
    g.output(nextName(acc.name), g.add(acc, grads[i]!));
  });
  return {
    model: g.toModel(),
    kind: 'gradients',
    params: trainable.map(spec),
    frozen,
    data,
    state: state.map(spec),
    scalars: [],
    carry: state.map((t) => [nextName(t.name), t.name]),
    carryInPlace: true,
    outputs: ['loss', ...metricNames],
    floatType: g.floatType,
  };
}

export interface OptimizerStepOptions {
  params: ParamSpec[];
  optimizer: OptimizerConfig;
  maxGradNorm?: number;
  floatType?: FloatType;
  name?: string;
}

/**
 * Applies accumulated gradients: inputs params, `grad/<p>`, optimizer state, scalars and
 * `grad_scale` (e.g. 1 / micro-batches, applied before clipping as HF scales the loss); outputs
 * `next/<p>`, `next/<state>` and `grad_norm`.
 */
export function buildOptimizerStep({ params, optimizer, maxGradNorm, floatType = 'float32', name = 'optimizer_step' }: OptimizerStepOptions): StepGraph {
  resolveOptimizer(optimizer);
  const g = createGraph({ name, floatType });
  const ps = params.map((p) => g.param(p.name, p.shape));
  const scale = g.input('grad_scale', [], floatType);
  const raw = params.map((p) => g.input(gradName(p.name), p.shape, floatType));
  const clip = globalNormClip(g, raw.map((t) => g.mul(t, scale)), maxGradNorm);
  g.output('grad_norm', clip.norm);
  const opt = emitOptimizer(g, ps, clip.grads, optimizer, clip);
  for (const [n, t] of opt.outputs) g.output(n, t);
  return {
    model: g.toModel(),
    kind: 'optimizer',
    params: ps.map(spec),
    frozen: [],
    data: raw.map((t) => ({ name: t.name, shape: [...t.shape], dtype: t.dtype })),
    state: opt.state.map(spec),
    scalars: [...opt.scalars, 'grad_scale'],
    carry: [...ps, ...opt.state].map((t) => [nextName(t.name), t.name]),
    carryInPlace: true,
    outputs: ['grad_norm'],
    optimizer,
    ...(maxGradNorm !== undefined ? { maxGradNorm } : {}),
    floatType,
  };
}
