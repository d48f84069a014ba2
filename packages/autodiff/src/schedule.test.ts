import { describe, expect, it } from 'vitest';
import { createLrSchedule, warmupStepsFor } from './schedule.ts';

describe('learning-rate schedules (HF LambdaLR semantics, 0-based steps)', () => {
  it('constant ignores warmup', () => {
    const f = createLrSchedule({ type: 'constant', lr: 3e-4, totalSteps: 10, warmupRatio: 0.5 });
    expect([0, 5, 9].map(f)).toEqual([3e-4, 3e-4, 3e-4]);
  });
  it('linear with warmup ratio: ceil(total * ratio) warmup steps, then linear decay to 0', () => {
    expect(warmupStepsFor({ totalSteps: 10, warmupRatio: 0.1 })).toBe(1);
    expect(warmupStepsFor({ totalSteps: 15, warmupRatio: 0.1 })).toBe(2); // ceil(1.5)
    const f = createLrSchedule({ type: 'linear', lr: 1, totalSteps: 10, warmupRatio: 0.1 });
    expect(f(0)).toBe(0);
    expect(f(1)).toBe(1);
    expect(f(5)).toBeCloseTo(5 / 9, 15);
    expect(f(10)).toBe(0);
    expect(f(12)).toBe(0);
  });
  it('cosine with warmup steps', () => {
    const f = createLrSchedule({ type: 'cosine', lr: 2, totalSteps: 10, warmupSteps: 2 });
    expect(f(0)).toBe(0);
    expect(f(1)).toBe(1);
    expect(f(2)).toBe(2);
    expect(f(6)).toBeCloseTo(1, 12);
    expect(f(10)).toBeCloseTo(0, 12);
  });
  it('constant with warmup', () => {
    const f = createLrSchedule({ type: 'constant_with_warmup', lr: 1, totalSteps: 10, warmupSteps: 4 });
    expect([0, 2, 4, 9].map(f)).toEqual([0, 0.5, 1, 1]);
  });
  it('a schedule spanning 18 epochs, stopped after one, is still warming up (SPPO recipe reading)', () => {
    const stepsPerEpoch = 10;
    const f = createLrSchedule({ type: 'linear', lr: 5e-7, totalSteps: stepsPerEpoch * 18, warmupRatio: 0.1 });
    // warmup = ceil(180 * 0.1) = 18 steps; the last step of epoch one is step 9
    expect(f(stepsPerEpoch - 1)).toBeCloseTo((5e-7 * 9) / 18, 20);
  });
  it('rejects bad options with every problem listed', () => {
    expect(() => createLrSchedule({ type: 'exp' as never, lr: -1, totalSteps: 0 })).toThrow(/type "exp" is not one of constant, constant_with_warmup, linear, cosine; lr must be >= 0, got -1; totalSteps must be a positive integer/);
  });
});
