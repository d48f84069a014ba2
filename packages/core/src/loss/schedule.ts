/**
 * Optimizer-step plan and learning-rate schedule, following HF Trainer (transformers
 * `get_scheduler`: linear / cosine / constant / constant_with_warmup; warmup_steps overrides
 * ceil(warmup_ratio * schedule steps)). `schedule_num_train_epochs` gives the model cards'
 * "num_train_epochs: 18.0 (stop at epoch=1.0)" reading: the schedule spans that many epochs while
 * training stops after num_train_epochs (SPPO-REFERENCE 2.6).
 */
import type { TrainingArgs } from '../config/training-args.ts';

export interface TrainingPlan {
  /** Optimizer steps per epoch: max(1, floor(ceil(N / batch) / gradient_accumulation_steps)), as HF. */
  stepsPerEpoch: number;
  /** Optimizer steps actually taken: ceil(num_train_epochs * stepsPerEpoch). */
  trainSteps: number;
  /** Steps the LR schedule spans (>= trainSteps). */
  scheduleSteps: number;
  warmupSteps: number;
}

type PlanArgs = Pick<
  TrainingArgs,
  'per_device_train_batch_size' | 'gradient_accumulation_steps' | 'num_train_epochs' | 'schedule_num_train_epochs' | 'warmup_ratio' | 'warmup_steps'
>;

export function trainingPlan(args: PlanArgs, numExamples: number): TrainingPlan {
  if (!Number.isInteger(numExamples) || numExamples < 1) {
    throw new RangeError(`numExamples must be a positive integer (the round's training rows), got ${numExamples}`);
  }
  const batches = Math.ceil(numExamples / args.per_device_train_batch_size);
  const stepsPerEpoch = Math.max(1, Math.floor(batches / args.gradient_accumulation_steps));
  const trainSteps = Math.ceil(args.num_train_epochs * stepsPerEpoch);
  const scheduleSteps = Math.max(trainSteps, Math.ceil((args.schedule_num_train_epochs ?? args.num_train_epochs) * stepsPerEpoch));
  const warmupSteps = args.warmup_steps > 0 ? args.warmup_steps : Math.ceil(args.warmup_ratio * scheduleSteps);
  return { stepsPerEpoch, trainSteps, scheduleSteps, warmupSteps };
}

/**
 * Learning rate used by optimizer step `step` (0-based: the first update uses step 0, which is 0
 * during warmup, exactly as HF's LambdaLR).
 */
export function learningRateAt(step: number, plan: TrainingPlan, args: Pick<TrainingArgs, 'learning_rate' | 'lr_scheduler_type'>): number {
  const { scheduleSteps: total, warmupSteps: warmup } = plan;
  const inWarmup = step < warmup;
  let factor: number;
  switch (args.lr_scheduler_type) {
    case 'constant':
      factor = 1;
      break;
    case 'constant_with_warmup':
      factor = inWarmup ? step / Math.max(1, warmup) : 1;
      break;
    case 'cosine': {
      const progress = (step - warmup) / Math.max(1, total - warmup);
      factor = inWarmup ? step / Math.max(1, warmup) : Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
      break;
    }
    case 'linear':
      factor = inWarmup ? step / Math.max(1, warmup) : Math.max(0, (total - step) / Math.max(1, total - warmup));
      break;
    default:
      throw new RangeError(`unknown lr_scheduler_type ${JSON.stringify(args.lr_scheduler_type)}: use linear, cosine, constant or constant_with_warmup`);
  }
  return args.learning_rate * factor;
}
