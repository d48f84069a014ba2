/**
 * The training loop shared by `sft`, `train` and the trainer service: pi_theta starts from pi_t,
 * pi_t stays frozen as the reference (its log-probs computed once with the scoring module), and every
 * optimizer step runs one fused ONNX train step (autodiff's createTrainStepper over
 * packages/model's train-step graphs) at the HF learning rate of that step (core's trainingPlan /
 * learningRateAt). Logs TRL-named metrics per step and saves resumable state every save_steps; a
 * run resumed from such a state ends with the same weights as an uninterrupted one, because the
 * rows, learning rate and bias corrections of a step depend only on the step number.
 */
import { createHash } from 'node:crypto';
import { createTrainStepper, type SessionOptions } from '@sppo/autodiff';
import { learningRateAt, trainingPlan, type TrainingArgs, type TrainingPlan } from '@sppo/core';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { parameterShapes } from '../llama/params.ts';
import { collateStep, rowsForStep, scoredSequences, type Bucket } from './batches.ts';
import type { TrainingData } from './examples.ts';
import { formatProgressLine, summarize } from './metrics.ts';
import { createSequenceScorer } from '../scoring/scorer.ts';
import type { LogEntry, TrainState } from './state.ts';
import { buildGradientGraph, buildStepGraph, optimizerFromArgs } from './steps.ts';
import { floatToBf16Bits } from '@sppo/autodiff';
import { bf16BaseNames } from '../lora/graph.ts';
import { mergeLora } from '../lora/merge.ts';
import { initLoraWeights, loraParameterShapes, type LoraWeights } from '../lora/params.ts';
import { loraSpecFromArgs, loraTargets, type LoraSpec } from '../lora/spec.ts';

export interface TrainPolicyOptions {
  config: LlamaGraphConfig;
  /** pi_t: the starting policy and, frozen, the reference. */
  weights: ReadonlyMap<string, Float32Array | Float64Array>;
  data: TrainingData;
  args: TrainingArgs;
  padId: number;
  /** Continue from a saved state of this same job (see TrainState.fingerprint). */
  resume?: TrainState;
  /** Called every save_steps optimizer steps (not after the last one) with the state to persist. */
  onSave?: (state: TrainState) => Promise<void>;
  /** Called after every optimizer step with its metrics and the progress line. */
  onStep?: (entry: LogEntry, line: string, info: { totalSteps: number; ms: number }) => void;
  floatType?: 'float32' | 'float64';
  thread?: 'worker' | 'main';
  session?: SessionOptions;
  /** Sequence lengths round up to a multiple of this (one ONNX session per (rows, length) bucket). */
  bucketMultiple?: number;
  gatherGradient?: 'scatter' | 'onehot';
  /**
   * use_peft only: 'bfloat16' holds the base's decoder-layer linear weights as bfloat16 bits in the
   * step (2 bytes per parameter, decoded where used: lora/graph.ts), as a bf16 checkpoint is
   * stored; values that are not bf16 are rounded to nearest even. Default 'float32'.
   */
  loraBaseDtype?: 'float32' | 'bfloat16';
}

export interface TrainPolicyResult {
  /** The trained policy's weights (with use_peft: the adapter merged into pi_t). */
  weights: Map<string, Float32Array>;
  /** With use_peft: the trained adapter (packages/model/src/lora), for the PEFT adapter files. */
  adapter?: { spec: LoraSpec; weights: LoraWeights };
  logHistory: LogEntry[];
  summary: Record<string, number>;
  plan: TrainingPlan;
  /** The step a resumed run continued from (absent for a fresh run). */
  resumedFromStep?: number;
}

/** Identifies a training job: the tokenized data, the training args and pi_t's weights. */
export function trainingFingerprint({ data, args, weights }: { data: TrainingData; args: TrainingArgs; weights: ReadonlyMap<string, Float32Array | Float64Array> }): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ kind: data.kind, args }));
  for (const e of data.examples) hash.update(JSON.stringify(e));
  for (const name of [...weights.keys()].sort()) {
    const w = weights.get(name) as Float32Array | Float64Array;
    hash.update(name);
    hash.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  }
  return hash.digest('hex');
}

const bucketKey = (b: Bucket): string => `${b.rows}x${b.seqLen}`;

function chunk<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** The loss became NaN or infinite: deterministic for the same data and args, so not worth a retry. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

export async function trainPolicy({
  config,
  weights,
  data,
  args,
  padId,
  resume,
  onSave,
  onStep,
  floatType = 'float32',
  thread = 'worker',
  session = {},
  bucketMultiple = 32,
  gatherGradient = 'scatter',
  loraBaseDtype = 'float32',
}: TrainPolicyOptions): Promise<TrainPolicyResult> {
  const numExamples = data.examples.length;
  const plan = trainingPlan(args, numExamples);
  const rowsPerStep = args.per_device_train_batch_size * args.gradient_accumulation_steps;
  const fingerprint = trainingFingerprint({ data, args, weights });
  if (resume !== undefined && resume.fingerprint !== fingerprint) {
    throw new Error(
      'The saved train state belongs to another job (different data, arguments or starting weights); ' +
        'delete it (the round\'s train-state/ prefix, or the --resume folder) to start over',
    );
  }
  const startStep = resume?.step ?? 0;
  if (startStep > plan.trainSteps) throw new Error(`The saved train state is at step ${startStep}, past this run's ${plan.trainSteps} steps`);

  // Reference log-probs of pi_t, computed once: pi_t is frozen for the whole round, so this equals
  // uclaml's on-the-fly reference forward (SPPO-REFERENCE 2.5) at one forward pass per sequence.
  // The scorer's batch plan is fixed (sorted by length), so a resumed run gets the same numbers.
  let referenceLogps: Float64Array | undefined;
  if (data.kind !== 'sft') {
    const scorer = await createSequenceScorer({ config, weights: new Map(weights), padId, thread, session });
    try {
      referenceLogps = Float64Array.from((await scorer.score(scoredSequences(data))).logps);
    } finally {
      await scorer.close();
    }
  }

  // use_peft (TRL): a fresh LoRA adapter on the frozen pi_t. pi_t's weights are frozen inputs of
  // the step (no gradients, no optimizer state, never carried); the reference above is that same
  // pi_t, i.e. the base with the adapter off, so no second copy of the model is made.
  const lora = args.use_peft ? loraSpecFromArgs(args) : undefined;
  const adapterNames = lora ? loraParameterShapes(loraTargets(config, lora), lora.r).map((p) => p.name) : [];
  const initial: Record<string, Float32Array | Float64Array | Uint16Array> = {};
  const asBits = new Set(lora && loraBaseDtype === 'bfloat16' ? bf16BaseNames(config) : []);
  for (const { name } of parameterShapes(config)) {
    const w = (lora ? undefined : resume?.weights[name]) ?? weights.get(name);
    if (w === undefined) throw new Error(`trainPolicy: no value for parameter ${name}; the weights do not match the config`);
    initial[name] = asBits.has(name) ? floatToBf16Bits(w instanceof Float32Array ? w : Float32Array.from(w)) : w;
  }
  if (lora) {
    const fresh = initLoraWeights(loraTargets(config, lora), lora, args.seed);
    for (const name of adapterNames) initial[name] = resume?.weights[name] ?? fresh.get(name)!;
  }
  // gradient_accumulation_steps > 1: micro-batches of per_device_train_batch_size through a
  // gradients graph, then one optimizer update (autodiff's accumulate/apply, grad_scale = 1/n).
  const accumulation = args.gradient_accumulation_steps > 1;
  const graphOptions = { config, args, floatType, gatherGradient, ...(lora ? { lora: { ...lora, dropoutSeed: args.seed, baseDtype: loraBaseDtype } } : {}) };
  const stepper = await createTrainStepper<Bucket>({
    buildStep: (bucket) => buildStepGraph(data.kind, bucket, graphOptions),
    bucketKey,
    ...(accumulation
      ? {
          buildGradients: (bucket: Bucket) => buildGradientGraph(data.kind, bucket, graphOptions),
          optimizer: optimizerFromArgs(args),
          ...(args.max_grad_norm > 0 ? { maxGradNorm: args.max_grad_norm } : {}),
        }
      : {}),
    params: initial,
    ...(resume === undefined ? {} : { state: resume.optimizer }),
    thread,
    session,
  });
  const logHistory: LogEntry[] = [...(resume?.logHistory ?? [])];
  const started = performance.now();
  const runtime = (): number => (resume?.runtimeSeconds ?? 0) + (performance.now() - started) / 1000;
  try {
    for (let s = startStep; s < plan.trainSteps; s++) {
      const rows = rowsForStep(s, { plan, numExamples, rowsPerStep, seed: args.seed });
      const collate = (indices: number[]) => collateStep(data, indices, { padId, bucketMultiple, floatType, ...(referenceLogps ? { referenceLogps } : {}) });
      const lr = learningRateAt(s, plan, args);
      const t0 = performance.now();
      let out: Record<string, number>;
      if (!accumulation) {
        const batch = collate(rows.indices);
        out = await stepper.step(batch.bucket, batch.feeds, { lr });
      } else {
        // Loss and metrics are the mean over the micro-batches, as HF logs them.
        const sums: Record<string, number> = {};
        const micro = chunk(rows.indices, args.per_device_train_batch_size);
        for (const indices of micro) {
          const batch = collate(indices);
          for (const [k, v] of Object.entries(await stepper.accumulate(batch.bucket, batch.feeds))) sums[k] = (sums[k] ?? 0) + v;
        }
        out = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / micro.length]));
        Object.assign(out, await stepper.apply({ lr }));
      }
      const ms = performance.now() - t0;
      if (!Number.isFinite(out.loss)) {
        throw new TrainingDivergedError(`The loss is ${String(out.loss)} at step ${s + 1}: training diverged; lower learning_rate or set max_grad_norm (now ${args.max_grad_norm})`);
      }
      const entry = { ...out, learning_rate: lr, epoch: (s + 1) / plan.stepsPerEpoch, step: s + 1 } as LogEntry;
      if ((s + 1) % args.logging_steps === 0 || s + 1 === plan.trainSteps) logHistory.push(entry);
      onStep?.(entry, formatProgressLine(entry, { totalSteps: plan.trainSteps, ms, kind: data.kind }), { totalSteps: plan.trainSteps, ms });
      if (onSave !== undefined && (s + 1) % args.save_steps === 0 && s + 1 < plan.trainSteps) {
        // With use_peft the state holds the adapter only: the base is pi_t, which the job already has.
        const [params, optimizer] = [await stepper.getParams(lora ? adapterNames : undefined), await stepper.getState()];
        await onSave({ step: s + 1, fingerprint, weights: params, optimizer, logHistory: [...logHistory], runtimeSeconds: runtime() });
      }
    }
    const f32 = (w: Float32Array | Float64Array): Float32Array => (w instanceof Float32Array ? w : Float32Array.from(w));
    const summary = summarize(logHistory, { plan, numExamples, runtimeSeconds: runtime(), resumedFromStep: resume?.step });
    const done = { logHistory, summary, plan, ...(resume === undefined ? {} : { resumedFromStep: resume.step }) };
    if (lora) {
      const trained = await stepper.getParams(adapterNames);
      const adapter: LoraWeights = new Map(adapterNames.map((n) => [n, f32(trained[n]!)]));
      return { weights: mergeLora(config, weights, lora, adapter), adapter: { spec: lora, weights: adapter }, ...done };
    }
    const final = await stepper.getParams();
    const out = new Map<string, Float32Array>();
    for (const { name } of parameterShapes(config)) out.set(name, f32(final[name]!));
    return { weights: out, ...done };
  } finally {
    await stepper.close();
  }
}
