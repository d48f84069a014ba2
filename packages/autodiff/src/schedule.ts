// Learning-rate schedules as plain functions of the 0-based optimizer step, with the semantics of
// Hugging Face transformers' optimization.py (LambdaLR multipliers on the base lr).

export type ScheduleType = 'constant' | 'constant_with_warmup' | 'linear' | 'cosine';
export const SCHEDULE_TYPES: readonly ScheduleType[] = ['constant', 'constant_with_warmup', 'linear', 'cosine'];

export interface LrScheduleOptions {
  type: ScheduleType;
  /** The base (peak) learning rate. */
  lr: number;
  /**
   * Steps the schedule spans. It may exceed the steps actually run: the SPPO recipe's
   * "18-epoch schedule, stop after one" is totalSteps = stepsPerEpoch * 18 with one epoch run.
   */
  totalSteps: number;
  /** Fraction of totalSteps spent warming up (HF warmup_ratio); warmupSteps wins when given. */
  warmupRatio?: number;
  warmupSteps?: number;
  /** Cosine waves over the decay (HF num_cycles; 0.5 = one half-cosine down to 0). */
  numCycles?: number;
}

/** HF TrainingArguments.get_warmup_steps: explicit steps, else ceil(total * ratio). */
export function warmupStepsFor({ totalSteps, warmupRatio = 0, warmupSteps }: Pick<LrScheduleOptions, 'totalSteps' | 'warmupRatio' | 'warmupSteps'>): number {
  return warmupSteps !== undefined && warmupSteps > 0 ? warmupSteps : Math.ceil(totalSteps * warmupRatio);
}

/** Returns lr(step) for 0-based step (the lr used by the (step+1)-th optimizer update). */
export function createLrSchedule(options: LrScheduleOptions): (step: number) => number {
  const { type, lr, totalSteps, numCycles = 0.5 } = options;
  const problems: string[] = [];
  if (!SCHEDULE_TYPES.includes(type)) problems.push(`type "${String(type)}" is not one of ${SCHEDULE_TYPES.join(', ')}`);
  if (!(lr >= 0)) problems.push(`lr must be >= 0, got ${lr}`);
  if (!(Number.isInteger(totalSteps) && totalSteps > 0)) problems.push(`totalSteps must be a positive integer, got ${totalSteps}`);
  if (options.warmupRatio !== undefined && !(options.warmupRatio >= 0 && options.warmupRatio <= 1)) problems.push(`warmupRatio must be in [0, 1], got ${options.warmupRatio}`);
  if (problems.length) throw new Error(`createLrSchedule: ${problems.join('; ')}`);
  const warmup = warmupStepsFor(options);
  return (step: number): number => {
    // get_constant_schedule_with_warmup / get_linear_... / get_cosine_...: warmup is step / max(1, warmup).
    if (type === 'constant') return lr;
    if (step < warmup) return (lr * step) / Math.max(1, warmup);
    if (type === 'constant_with_warmup') return lr;
    const progress = (step - warmup) / Math.max(1, totalSteps - warmup);
    if (type === 'linear') return lr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmup));
    return lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
  };
}
