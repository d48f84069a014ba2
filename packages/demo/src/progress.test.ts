import { describe, expect, it } from 'vitest';
import { createProgressDisplay, formatProgress } from './progress.ts';

describe('progress display', () => {
  it('formats stage, shards and steps', () => {
    expect(formatProgress({ scope: 'round 2/3', stage: 'judging', shards: { label: 'judged', done: 1, total: 3 } })).toBe('[round 2/3]  judging  judged 1/3');
    expect(formatProgress({ scope: 'round 1/3', stage: 'training', steps: { done: 4, total: 12 } })).toBe('[round 1/3]  training  step 4/12');
  });

  it('prints one plain line per change when not a TTY', () => {
    const out: string[] = [];
    let now = 0;
    const d = createProgressDisplay({ write: (t) => out.push(t), tty: false, now: () => now });
    d.update({ scope: 'r', stage: 'generating' });
    d.update({ scope: 'r', stage: 'generating' }); // no change, no line
    now = 2000;
    d.update({ scope: 'r', stage: 'judging' });
    d.log('round done');
    d.done();
    expect(out).toEqual(['   0s [r]  generating\n', '   2s [r]  judging\n', '   2s round done\n']);
    expect(out.every((line) => !line.includes('\r'))).toBe(true);
  });

  it('rewrites one line in place on a TTY and keeps logged lines', () => {
    const out: string[] = [];
    const d = createProgressDisplay({ write: (t) => out.push(t), tty: true, now: () => 0 });
    d.update({ scope: 'r', stage: 'a' });
    d.update({ scope: 'r', stage: 'b' });
    d.log('kept');
    d.update({ scope: 'r', stage: 'c' });
    d.done();
    expect(out.join('')).toBe('\r\x1b[K   0s [r]  a\r\x1b[K   0s [r]  b\r\x1b[K   0s kept\n\r\x1b[K   0s [r]  c\n');
  });
});
