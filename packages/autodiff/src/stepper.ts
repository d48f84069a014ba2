// The training loop's engine room: one session per shape bucket (built lazily, cached by key),
// params and optimizer state held as ORT tensors between steps in one store shared by all buckets,
// each step's outputs fed straight back in. Runs in a worker thread by default.
import { createLocalHost } from './host.ts';
import type { TensorHost } from './host.ts';
import { optimizerScalars } from './optimizer.ts';
import type { SessionOptions } from './session.ts';
import { initOptimizerState } from './state.ts';
import type { OptimizerState } from './state.ts';
import { buildOptimizerStep } from './trainstep.ts';
import type { ParamSpec, StepGraph } from './trainstep.ts';
import type { OptimizerConfig } from './optimizer.ts';
import type { TensorData } from './types.ts';
import { createWorkerHost } from './worker-host.ts';

type FloatArray = Float32Array | Float64Array;

export interface TrainStepperOptions<B> {
  /** Builds the fused train step (buildTrainStep) for a bucket; called once per bucket key. */
  buildStep: (bucket: B) => StepGraph;
  bucketKey?: (bucket: B) => string;
  /** Initial values of every param (trainable and frozen) and held input (a uint16 array for bf16 bits), by name. */
  params: Record<string, FloatArray | Uint16Array>;
  /** Restored optimizer state; zeros and step 0 when omitted. */
  state?: OptimizerState;
  /** 'worker' keeps sessions and tensors in a worker_thread so the event loop stays responsive. */
  thread?: 'worker' | 'main';
  session?: SessionOptions;
  /**
   * Gradient accumulation: builds buildGradientStep(..., { accumulate: true }) for a bucket. Then
   * accumulate() runs micro-batches and apply() makes one update with `optimizer`/`maxGradNorm`
   * (grad_scale = 1 / micro-batches, as HF divides the loss by gradient_accumulation_steps).
   */
  buildGradients?: (bucket: B) => StepGraph;
  optimizer?: OptimizerConfig;
  maxGradNorm?: number;
}

export interface TrainStepper<B> {
  /** One optimizer step at learning rate `lr`; returns the graph's scalar outputs (loss, metrics, grad_norm). */
  step(bucket: B, batch: Record<string, TensorData>, options: { lr: number }): Promise<Record<string, number>>;
  /** Adds one micro-batch's gradients to the held accumulators; returns loss and metrics. */
  accumulate(bucket: B, batch: Record<string, TensorData>): Promise<Record<string, number>>;
  /** One optimizer update from the accumulated gradients (then zeroed); returns grad_norm. */
  apply(options: { lr: number }): Promise<Record<string, number>>;
  /**
   * Current values of the held params (trainable and frozen), or of `names` only: a LoRA trainer
   * reads back the adapter and never copies the frozen base out of the host.
   */
  getParams(names?: string[]): Promise<Record<string, FloatArray>>;
  getState(): Promise<OptimizerState>;
  /** Optimizer steps taken (restored state included). */
  readonly stepCount: number;
  close(): Promise<void>;
}

export async function createTrainStepper<B>({
  buildStep,
  bucketKey = (b: B) => JSON.stringify(b),
  params,
  state,
  thread = 'worker',
  session = {},
  buildGradients,
  optimizer,
  maxGradNorm,
}: TrainStepperOptions<B>): Promise<TrainStepper<B>> {
  // Training sessions run with ORT's CPU arena and memory pattern both off unless asked. Measured
  // against ORT's defaults (both on), two runs of `./sppo bench train-step --sessions`
  // (bench/README.md): within 3% at 3M, 8-12% slower at 40M, and 15-26% (3M) and 40% (40M) less
  // peak memory; at 125M the defaults peaked at 2.1x PyTorch's memory. Arena off with the pattern
  // on, the old default, was the slowest (a fresh block allocated and touched on every run).
  session = { enableCpuMemArena: false, enableMemPattern: false, ...session };
  // Initial values are dropped once the host holds them (the first bucket holds every param), so
  // the caller's thread keeps no second copy of the weights for the whole training.
  const initial = new Map(Object.entries(params));
  const paramNames = new Set(initial.keys());
  const host: TensorHost = thread === 'worker' ? createWorkerHost() : createLocalHost();
  const graphs = new Map<string, StepGraph>();
  const held = new Set<string>();
  /** Held non-float inputs (bf16 bits): frozen, never returned by getParams. */
  const rawHeld = new Set<string>();
  const trainable = new Map<string, ParamSpec>();
  const stateSpecs = new Map<string, ParamSpec>();
  let steps = state?.step ?? 0;
  let first: StepGraph | undefined;

  /** Puts initial values of every tensor this graph carries into the host, once per name. */
  const hold = async (g: StepGraph): Promise<void> => {
    const init = initOptimizerState(g);
    const put: Record<string, TensorData> = {};
    for (const spec of [...g.params, ...g.frozen, ...g.state]) {
      if (held.has(spec.name)) continue;
      const isState = g.state.includes(spec);
      const data = isState ? (state?.tensors[spec.name] ?? init.tensors[spec.name]!) : initial.get(spec.name);
      if (!data) throw new Error(`createTrainStepper: no initial value for param "${spec.name}"; pass it in options.params`);
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (data.length !== n) throw new Error(`createTrainStepper: "${spec.name}" has ${data.length} values, the graph expects shape [${spec.shape}] (${n})`);
      if (spec.dtype !== undefined && spec.dtype !== g.floatType) {
        // A held non-float input (bfloat16 bits): kept as given, in its own dtype.
        if (!(data instanceof Uint16Array) || spec.dtype !== 'uint16') throw new Error(`createTrainStepper: "${spec.name}" is a held ${spec.dtype} input; pass a Uint16Array`);
        put[spec.name] = { dtype: 'uint16', dims: spec.shape, data };
        rawHeld.add(spec.name);
      } else {
        const want = g.floatType === 'float64' ? Float64Array : Float32Array;
        put[spec.name] = { dtype: g.floatType, dims: spec.shape, data: data instanceof want ? data : want.from(data as FloatArray) };
      }
      held.add(spec.name);
    }
    for (const p of g.params) trainable.set(p.name, p);
    if (g.kind !== 'gradients') for (const s of g.state) stateSpecs.set(s.name, s);
    if (Object.keys(put).length) await host.setTensors(put);
    for (const name of Object.keys(put)) initial.delete(name);
  };

  const scalarFeeds = (g: StepGraph, lr: number): Record<string, TensorData> => {
    const arr = g.floatType === 'float64' ? Float64Array : Float32Array;
    const feeds: Record<string, TensorData> = {};
    for (const [n, v] of Object.entries(optimizerScalars(g.optimizer!, steps + 1, lr))) feeds[n] = { dtype: g.floatType, dims: [], data: arr.of(v) };
    return feeds;
  };
  const checkBatch = (g: StepGraph, key: string, batch: Record<string, TensorData>): void => {
    const missing = g.data.filter((d) => !batch[d.name]).map((d) => d.name);
    if (missing.length) throw new Error(`step: batch is missing ${missing.join(', ')} (bucket "${key}" expects ${g.data.map((d) => d.name).join(', ')})`);
  };
  const toNumbers = (out: Record<string, TensorData>): Record<string, number> =>
    Object.fromEntries(Object.entries(out).map(([n, t]) => [n, Number(t.data[0])]));

  let micro = 0;
  let optGraph: StepGraph | undefined;
  const zeroAccumulators = async (g: StepGraph): Promise<void> => {
    const arr = g.floatType === 'float64' ? Float64Array : Float32Array;
    await host.setTensors(Object.fromEntries(g.state.map((s) => [s.name, { dtype: g.floatType, dims: s.shape, data: new arr(s.shape.reduce((a, b) => a * b, 1)) }])));
  };

  return {
    async accumulate(bucket, batch) {
      if (!buildGradients || !optimizer) throw new Error('accumulate: pass buildGradients and optimizer to createTrainStepper to use gradient accumulation');
      const key = `grad:${bucketKey(bucket)}`;
      let g = graphs.get(key);
      if (!g) {
        g = buildGradients(bucket);
        if (g.kind !== 'gradients' || g.state.length === 0) throw new Error(`createTrainStepper: buildGradients must return buildGradientStep(..., { accumulate: true }), got kind '${g.kind}'`);
        await host.load(key, g.model, { ...session });
        await hold(g);
        graphs.set(key, g);
      }
      checkBatch(g, key, batch);
      if (micro === 0) await zeroAccumulators(g);
      const out = await host.run({ key, feeds: batch, carry: g.carry, fetch: g.outputs, inPlace: g.carryInPlace });
      micro++;
      return toNumbers(out);
    },
    async apply({ lr }) {
      if (micro === 0) throw new Error('apply: no gradients accumulated; call accumulate(bucket, batch) first');
      if (!optGraph) {
        optGraph = buildOptimizerStep({ params: [...trainable.values()], optimizer: optimizer!, floatType: first?.floatType ?? [...graphs.values()][0]!.floatType, ...(maxGradNorm !== undefined ? { maxGradNorm } : {}) });
        await host.load('optimizer', optGraph.model, { ...session });
        await hold(optGraph);
      }
      const arr = optGraph.floatType === 'float64' ? Float64Array : Float32Array;
      const feeds = { ...scalarFeeds(optGraph, lr), grad_scale: { dtype: optGraph.floatType, dims: [], data: arr.of(1 / micro) } };
      const out = await host.run({ key: 'optimizer', feeds, carry: optGraph.carry, fetch: optGraph.outputs, inPlace: optGraph.carryInPlace });
      micro = 0;
      steps++;
      return toNumbers(out);
    },
    get stepCount() {
      return steps;
    },
    async step(bucket, batch, { lr }) {
      const key = bucketKey(bucket);
      let g = graphs.get(key);
      if (!g) {
        g = buildStep(bucket);
        if (g.kind !== 'train' || !g.optimizer) throw new Error(`createTrainStepper: buildStep must return buildTrainStep(...) (kind 'train'), got kind '${g.kind}'`);
        if (first && JSON.stringify(first.optimizer) !== JSON.stringify(g.optimizer))
          throw new Error(`createTrainStepper: bucket "${key}" uses optimizer ${JSON.stringify(g.optimizer)}, other buckets ${JSON.stringify(first.optimizer)}; one optimizer per stepper`);
        first ??= g;
        await host.load(key, g.model, { ...session });
        await hold(g);
        graphs.set(key, g);
      }
      checkBatch(g, key, batch);
      const out = await host.run({ key, feeds: { ...batch, ...scalarFeeds(g, lr) }, carry: g.carry, fetch: g.outputs, inPlace: g.carryInPlace });
      steps++;
      return toNumbers(out);
    },
    async getParams(only) {
      const unknown = only?.filter((n) => !paramNames.has(n)) ?? [];
      if (unknown.length) throw new Error(`getParams: ${unknown.join(', ')} not params of this stepper`);
      const want = only && new Set(only);
      const names = [...held].filter((n) => paramNames.has(n) && !rawHeld.has(n) && (want === undefined || want.has(n)));
      const t = await host.getTensors(names);
      return Object.fromEntries(names.map((n) => [n, t[n]!.data as FloatArray]));
    },
    async getState() {
      const names = [...stateSpecs.keys()];
      const t = await host.getTensors(names);
      return {
        step: steps,
        tensors: Object.fromEntries(names.map((n) => [n, t[n]!.data as FloatArray])),
        ...(first?.optimizer || optimizer ? { meta: { ...state?.meta, optimizer: JSON.stringify(first?.optimizer ?? optimizer) } } : {}),
      };
    },
    close: () => host.close(),
  };
}
