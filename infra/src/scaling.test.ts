import type { ScalingInterval } from 'aws-cdk-lib/aws-applicationautoscaling';
import { expect, test } from 'vitest';
import { backlogScalingSteps } from './scaling.ts';

/** The exact task count the intervals give a backlog (lower inclusive, upper exclusive). */
function tasksFor(steps: ScalingInterval[], backlog: number): number {
  const hit = steps.filter((s) => (s.lower ?? -Infinity) <= backlog && backlog < (s.upper ?? Infinity));
  expect(hit, `backlog ${backlog}`).toHaveLength(1);
  return hit[0]!.change;
}

test('tasks = ceil(backlog / messagesPerTask), capped at maxTasks, 0 when idle', () => {
  const steps = backlogScalingSteps({ maxTasks: 4, messagesPerTask: 2 });
  const expected = (b: number) => Math.min(4, Math.ceil(b / 2));
  for (let backlog = 0; backlog <= 20; backlog++) expect(tasksFor(steps, backlog)).toBe(expected(backlog));
});

test('one message starts one task', () => {
  for (const messagesPerTask of [1, 3, 50]) expect(tasksFor(backlogScalingSteps({ maxTasks: 10, messagesPerTask }), 1)).toBe(1);
});

test('with many tasks the steps are thinned but never give fewer tasks than needed, up to the cap', () => {
  const steps = backlogScalingSteps({ maxTasks: 40, messagesPerTask: 3, maxSteps: 10 });
  expect(steps.length).toBeLessThanOrEqual(12);
  let previous = 0;
  for (let backlog = 0; backlog <= 200; backlog++) {
    const tasks = tasksFor(steps, backlog);
    expect(tasks).toBeGreaterThanOrEqual(Math.min(40, Math.ceil(backlog / 3)));
    expect(tasks).toBeLessThanOrEqual(40);
    expect(tasks).toBeGreaterThanOrEqual(previous); // monotone
    previous = tasks;
  }
  expect(tasksFor(steps, 10_000)).toBe(40);
});

test('invalid bounds are refused with the value', () => {
  expect(() => backlogScalingSteps({ maxTasks: 0, messagesPerTask: 1 })).toThrow(/maxTasks must be an integer >= 1, got 0/);
  expect(() => backlogScalingSteps({ maxTasks: 2, messagesPerTask: 0.5 })).toThrow(/messagesPerTask/);
});
