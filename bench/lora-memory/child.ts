// One case of bench/lora-memory.ts, alone in its own process so that its peak RSS is its own:
// a Qwen2.5-0.5B-shaped random model, one SPPO preference step per run (autodiff's
// createTrainStepper on the main thread, so no copy crosses a worker boundary), full fine-tuning or
// LoRA (r 16, all-linear) on a float32 or bf16 base. Prints one JSON line on stdout.
import { readFileSync, writeFileSync } from 'node:fs';
import { bf16BitsToFloat, createTrainStepper, floatToBf16Bits, type StepGraph, type TensorData } from '@sppo/autodiff';
import {
  bf16BaseNames,
  buildPreferenceTrainStep,
  createRng,
  createSequenceScorer,
  initializeWeights,
  initLoraWeights,
  loraParameterShapes,
  loraTargets,
  mergeLora,
  presetConfig,
  type LlamaConfig,
  type LoraSpec,
} from '@sppo/model';
import type { ChildCase, ChildResult } from './protocol.ts';

/** Qwen2.5-0.5B's published dimensions on the llama model type (brief of issue 16). */
export function qwen05Shape(): LlamaConfig {
  const base = presetConfig('small', { vocabSize: 512 });
  return { ...base, vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, head_dim: 64, rope_theta: 1000000, tie_word_embeddings: true, max_position_embeddings: 32768 };
}

const SPEC: LoraSpec = { r: 16, alpha: 32, dropout: 0, targetModules: ['all-linear'] };
const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);

/** VmRSS / VmHWM of this process (Linux), in bytes. */
function memory(): { rss: number; hwm: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/**
 * Collects garbage (the parent runs this child with --expose-gc: dropped float32 copies of the
 * weights must not count as held), then resets VmHWM to the current RSS (Linux clear_refs 5), so
 * a later peak is the step's own.
 */
function resetPeak(): void {
  collect();
  writeFileSync('/proc/self/clear_refs', '5');
}

function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function batchFor(config: LlamaConfig, T: number): Record<string, TensorData> {
  const rng = createRng(99);
  const rows = 2; // one (chosen, rejected) pair
  const ids = BigInt64Array.from({ length: rows * T }, () => BigInt(3 + Math.floor(rng.uniform() * (config.vocab_size - 3))));
  const ones = new BigInt64Array(rows * T).fill(1n);
  const response = BigInt64Array.from({ length: rows * T }, (_, i) => BigInt(i % T >= T / 4 ? 1 : 0));
  const f = (v: number[]): TensorData => ({ dtype: 'float32', dims: [v.length], data: Float32Array.from(v) });
  return {
    input_ids: { dtype: 'int64', dims: [rows, T], data: ids },
    attention_mask: { dtype: 'int64', dims: [rows, T], data: ones },
    response_mask: { dtype: 'int64', dims: [rows, T], data: response },
    reference_chosen_logps: f([-900]),
    reference_rejected_logps: f([-905]),
    chosen_probs_win: f([0.7]),
    chosen_probs_lose: f([0.3]),
  };
}

const bytesOf = (specs: { shape: number[]; dtype?: string }[], floatBytes = 4): number => specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (s.dtype === 'uint16' ? 2 : floatBytes), 0);

/** What crosses the session boundary per run of `g` (ORT binds inputs by pointer and writes outputs). */
function boundary(g: StepGraph) {
  const data = g.data.reduce((n, d) => n + d.shape.reduce((a: number, b) => a * (b as number), 1) * (d.dtype === 'int64' ? 8 : 4), 0) + 4 * g.scalars.length;
  const carriedOut = bytesOf(g.params) + bytesOf(g.state);
  return {
    /** Inputs bound per run: trainable + frozen params, state, batch, scalars. */
    inputs_bound_mb: mb(bytesOf(g.params) + bytesOf(g.frozen) + bytesOf(g.state) + data),
    /** Outputs written per run: the updated trainable params and optimizer state (in place). */
    outputs_written_mb: mb(carriedOut),
    /** Between the caller's thread and the stepper's (a worker in production): batch + scalars in, metrics out. */
    thread_boundary_bytes: data + 8 * g.outputs.length,
  };
}

async function stepCase(c: ChildCase & { kind: 'step' }): Promise<ChildResult> {
  const config = qwen05Shape();
  const t0 = performance.now();
  const weights = initializeWeights(config, { seed: 1 });
  const lora = c.mode === 'lora' ? { ...SPEC, baseDtype: c.base } : undefined;
  const params: Record<string, Float32Array | Uint16Array> = {};
  const bits = new Set(lora?.baseDtype === 'bfloat16' ? bf16BaseNames(config) : []);
  for (const [name, w] of weights) params[name] = bits.has(name) ? floatToBf16Bits(w) : w;
  weights.clear();
  if (lora) for (const [name, w] of initLoraWeights(loraTargets(config, SPEC), SPEC, 1)) params[name] = w;
  const initMs = performance.now() - t0;
  const graphs = new Map<number, StepGraph>();
  const build = (T: number): StepGraph => {
    let g = graphs.get(T);
    if (!g) {
      g = buildPreferenceTrainStep({ config, batchSize: 1, sequenceLength: T, lossType: 'sppo', beta: 0.001, optimizer: { type: 'adamw', weightDecay: 0 }, maxGradNorm: 1, ...(lora ? { lora } : {}) });
      graphs.set(T, g);
    }
    return g;
  };
  const stepper = await createTrainStepper<number>({ buildStep: build, bucketKey: String, params: params as Record<string, Float32Array>, thread: 'main', session: { intraOpNumThreads: c.threads, interOpNumThreads: 1 } });
  for (const k of Object.keys(params)) delete params[k]; // the stepper holds them now
  collect();
  const restBefore = memory().rss;
  resetPeak();
  const [T1, T2] = c.buckets;
  const first = performance.now();
  await stepper.step(T1!, batchFor(config, T1!), { lr: 1e-5 }); // session creation + first run
  const firstMs = performance.now() - first;
  const firstPeak = memory().hwm;
  const times: number[] = [];
  resetPeak();
  for (let i = 0; i < c.steps; i++) {
    const t = performance.now();
    await stepper.step(T1!, batchFor(config, T1!), { lr: 1e-5 });
    times.push(performance.now() - t);
  }
  const stepPeak = memory().hwm;
  collect();
  const restOne = memory().rss;
  let secondBucket: Record<string, number> | undefined;
  if (T2 !== undefined) {
    resetPeak();
    await stepper.step(T2, batchFor(config, T2), { lr: 1e-5 });
    await stepper.step(T1!, batchFor(config, T1!), { lr: 1e-5 });
    const peakTwo = memory().hwm;
    collect();
    secondBucket = { rest_after_two_buckets_mb: mb(memory().rss), peak_with_two_buckets_mb: mb(peakTwo), second_bucket_seq_len: T2 };
  }
  await stepper.close();
  const g = graphs.get(T1!)!;
  times.sort((a, b) => a - b);
  return {
    case: c.name,
    step_ms: Math.round(times[times.length >> 1]!),
    first_step_ms: Math.round(firstMs),
    init_ms: Math.round(initMs),
    rest_before_first_step_mb: mb(restBefore),
    peak_first_step_mb: mb(firstPeak),
    peak_step_mb: mb(stepPeak),
    rest_after_steps_mb: mb(restOne),
    trainable_params: g.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0),
    frozen_params: g.frozen.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0),
    ...boundary(g),
    ...(secondBucket ?? {}),
  };
}

/**
 * How much of a trained adapter's log-ratio change survives merging it into a bf16 base: train a
 * LoRA adapter for a few steps at `lr` on a bf16-valued base, then score rows under the base, the
 * float32 merge (exact: base + adapter) and the merge rounded to bf16 (what a bf16 checkpoint
 * stores). survival = <d_bf16, d_f32> / <d_f32, d_f32> over rows, d = log pi - log pi_base.
 */
async function mergeCase(c: ChildCase & { kind: 'merge' }): Promise<ChildResult> {
  const config = qwen05Shape();
  const weights = new Map([...initializeWeights(config, { seed: 1 })].map(([k, w]) => [k, bf16BitsToFloat(floatToBf16Bits(w))]));
  const T = 64;
  const batch = batchFor(config, T);
  const params: Record<string, Float32Array> = Object.fromEntries(weights);
  for (const [name, w] of initLoraWeights(loraTargets(config, SPEC), SPEC, 1)) params[name] = w;
  const stepper = await createTrainStepper<number>({
    buildStep: (t) => buildPreferenceTrainStep({ config, batchSize: 1, sequenceLength: t, lossType: 'sppo', beta: 0.001, optimizer: { type: 'adamw', weightDecay: 0 }, maxGradNorm: 1, lora: SPEC }),
    bucketKey: String,
    params,
    thread: 'main',
    session: { intraOpNumThreads: c.threads, interOpNumThreads: 1 },
  });
  for (let i = 0; i < c.steps; i++) await stepper.step(T, batch, { lr: c.lr });
  const names = loraParameterShapes(loraTargets(config, SPEC), SPEC.r).map((p) => p.name);
  const trained = await stepper.getParams(names);
  await stepper.close();
  const adapter = new Map(names.map((n) => [n, trained[n] as Float32Array]));
  const merged = mergeLora(config, weights, SPEC, adapter);
  const rounded = new Map([...merged].map(([k, w]) => [k, bf16BitsToFloat(floatToBf16Bits(w))]));
  let changed = 0;
  let adapted = 0;
  for (const name of bf16BaseNames(config)) {
    const [a, b] = [weights.get(name)!, rounded.get(name)!];
    adapted += a.length;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) changed++;
  }
  const rows = Array.from({ length: 2 }, (_, r) => {
    const ids = Array.from((batch.input_ids!.data as BigInt64Array).subarray(r * T, (r + 1) * T), Number);
    return { promptIds: ids.slice(0, T / 4), responseIds: ids.slice(T / 4) };
  });
  const score = async (w: Map<string, Float32Array>): Promise<number[]> => {
    const s = await createSequenceScorer({ config, weights: w, padId: 0, thread: 'main', session: { intraOpNumThreads: c.threads } });
    try {
      return (await s.score(rows)).logps;
    } finally {
      await s.close();
    }
  };
  const base = await score(weights);
  const f32 = (await score(merged)).map((v, i) => v - base[i]!);
  const bf16 = (await score(rounded)).map((v, i) => v - base[i]!);
  const dot = (a: number[], b: number[]): number => a.reduce((n, v, i) => n + v * b[i]!, 0);
  return {
    case: c.name,
    lr: c.lr,
    steps: c.steps,
    log_ratio_f32: f32.map((v) => Number(v.toPrecision(4))),
    log_ratio_bf16: bf16.map((v) => Number(v.toPrecision(4))),
    survival: Number((dot(bf16, f32) / dot(f32, f32)).toFixed(4)),
    adapted_weights_changed_in_bf16: Number((changed / adapted).toFixed(4)),
  };
}

/**
 * The bf16 base's speed cost, measured on a shared machine: LoRA steps on a float32 base and on
 * the same base as bf16 bits, alternating in one process (load changes hit both alike), median of
 * each. The steppers share the frozen float32 tensors (embedding, norms): frozen inputs are bound,
 * never written.
 */
async function speedCase(c: ChildCase & { kind: 'speed-ab' }): Promise<ChildResult> {
  const config = qwen05Shape();
  const weights = initializeWeights(config, { seed: 1 });
  const adapter = initLoraWeights(loraTargets(config, SPEC), SPEC, 1);
  const bits = new Set(bf16BaseNames(config));
  const stepper = async (base: 'float32' | 'bfloat16') => {
    const params: Record<string, Float32Array | Uint16Array> = {};
    for (const [name, w] of weights) params[name] = base === 'bfloat16' && bits.has(name) ? floatToBf16Bits(w) : w;
    for (const [name, w] of adapter) params[name] = w;
    const lora = { ...SPEC, baseDtype: base };
    return createTrainStepper<number>({
      buildStep: (T) => buildPreferenceTrainStep({ config, batchSize: 1, sequenceLength: T, lossType: 'sppo', beta: 0.001, optimizer: { type: 'adamw', weightDecay: 0 }, maxGradNorm: 1, lora }),
      bucketKey: String,
      params: params as Record<string, Float32Array>,
      thread: 'main',
      session: { intraOpNumThreads: c.threads, interOpNumThreads: 1 },
    });
  };
  const f32 = await stepper('float32');
  const bf16 = await stepper('bfloat16');
  const batch = batchFor(config, 64);
  const times = { f32: [] as number[], bf16: [] as number[] };
  for (let i = -1; i < c.steps; i++) {
    for (const [k, s] of [['f32', f32], ['bf16', bf16]] as const) {
      const t = performance.now();
      await s.step(64, batch, { lr: 1e-5 });
      if (i >= 0) times[k].push(performance.now() - t);
    }
  }
  await f32.close();
  await bf16.close();
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  return { case: c.name, step_ms_f32_base: Math.round(med(times.f32)), step_ms_bf16_base: Math.round(med(times.bf16)), bf16_slowdown: Number((med(times.bf16) / med(times.f32)).toFixed(2)), rounds: c.steps };
}

const c = JSON.parse(process.argv[2] ?? '{}') as ChildCase;
const result = c.kind === 'merge' ? await mergeCase(c) : c.kind === 'speed-ab' ? await speedCase(c) : await stepCase(c);
process.stdout.write(`${JSON.stringify(result)}\n`);
