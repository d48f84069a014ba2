import { describe, expect, it } from 'vitest';
import { trainingArgsSchema } from '../config/training-args.ts';
import { learningRateAt, trainingPlan } from './schedule.ts';

describe('trainingPlan / learningRateAt', () => {
  it('official one-epoch linear schedule: 20k pairs / 64 -> 313 steps, 32 warmup', () => {
    const args = trainingArgsSchema.parse({ per_device_train_batch_size: 64 });
    const plan = trainingPlan(args, 20_000);
    expect(plan).toEqual({ stepsPerEpoch: 313, trainSteps: 313, scheduleSteps: 313, warmupSteps: 32 });
    expect(learningRateAt(0, plan, args)).toBe(0); // HF LambdaLR: the first update uses factor 0
    expect(learningRateAt(16, plan, args)).toBeCloseTo(5e-7 * 0.5, 20);
    expect(learningRateAt(32, plan, args)).toBeCloseTo(5e-7, 20);
    expect(learningRateAt(313, plan, args)).toBe(0);
  });

  it('"18 epochs, stop after 1": the single epoch stays in warmup and peaks near 5e-7/1.8', () => {
    const args = trainingArgsSchema.parse({ per_device_train_batch_size: 64, schedule_num_train_epochs: 18 });
    const plan = trainingPlan(args, 20_000);
    expect(plan.trainSteps).toBe(313);
    expect(plan.scheduleSteps).toBe(5634);
    expect(plan.warmupSteps).toBe(564);
    const last = learningRateAt(plan.trainSteps - 1, plan, args);
    expect(last).toBeCloseTo((5e-7 * 312) / 564, 20);
    expect(last).toBeLessThan(2.8e-7);
  });

  it('gradient accumulation, warmup_steps override and the other schedulers', () => {
    const args = trainingArgsSchema.parse({ per_device_train_batch_size: 4, gradient_accumulation_steps: 2, warmup_steps: 2, lr_scheduler_type: 'cosine', learning_rate: 1 });
    const plan = trainingPlan(args, 81); // 21 micro-batches -> 10 optimizer steps
    expect(plan).toEqual({ stepsPerEpoch: 10, trainSteps: 10, scheduleSteps: 10, warmupSteps: 2 });
    expect(learningRateAt(1, plan, args)).toBe(0.5);
    expect(learningRateAt(6, plan, args)).toBeCloseTo(0.5, 12); // half-way through the cosine
    expect(learningRateAt(5, plan, { ...args, lr_scheduler_type: 'constant' })).toBe(1);
    expect(learningRateAt(1, plan, { ...args, lr_scheduler_type: 'constant_with_warmup' })).toBe(0.5);
    expect(() => trainingPlan(args, 0)).toThrow(/positive integer/);
  });
});
