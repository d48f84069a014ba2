import { describe, expect, it } from 'vitest';
import { createRunSerializer } from './run-serializer.ts';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('createRunSerializer', () => {
  it('runs the events of one run one at a time, in arrival order; other runs in parallel', async () => {
    const s = createRunSerializer();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const task = (name: string) => async () => {
      running += 1;
      most = Math.max(most, running);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running -= 1;
      return name;
    };
    const results = await Promise.all([s.run('a', '1', task('a1')), s.run('a', '2', task('a2')), s.run('b', '1', task('b1'))]);
    expect(results.map((r) => r.value)).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
    expect(most).toBe(2); // a1 and b1 together
    expect(s.busyRuns()).toBe(0);
  });

  it('answers a copy of a waiting event with that event\'s handling; a copy of one already running waits its turn', async () => {
    const s = createRunSerializer();
    let calls = 0;
    const task = async () => {
      calls += 1;
      await tick();
      return calls;
    };
    const first = s.run('r', 'e', task); // starts at once (after a microtask)
    await Promise.resolve();
    await Promise.resolve();
    const copies = Array.from({ length: 50 }, () => s.run('r', 'e', task)); // first is running: the first copy queues, the rest ride on it
    const out = await Promise.all([first, ...copies]);
    expect(calls).toBe(2);
    expect(out.filter((r) => r.coalesced)).toHaveLength(49);
    expect(out[0]).toEqual({ value: 1, coalesced: false });
    expect(out.slice(1).every((r) => r.value === 2)).toBe(true);
    expect(s.busyRuns()).toBe(0);
  });

  it('a failed handling fails its copies and does not block the run', async () => {
    const s = createRunSerializer();
    const boom = s.run('r', 'x', async () => {
      await tick();
      throw new Error('boom');
    });
    const waiting = s.run('r', 'y', async () => 'y');
    const copy = s.run('r', 'y', async () => 'never');
    await expect(boom).rejects.toThrow('boom');
    await expect(waiting).resolves.toEqual({ value: 'y', coalesced: false });
    await expect(copy).resolves.toEqual({ value: 'y', coalesced: true });
    expect(s.busyRuns()).toBe(0);
  });
});
