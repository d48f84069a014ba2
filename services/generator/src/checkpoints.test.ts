import { describe, expect, it } from 'vitest';
import type { SamplingEngine } from '@sppo/model';
import { createEnginePool } from './checkpoints.ts';

/** The pool's bookkeeping only: engines are stand-ins that record their own closing. */
function fakeEngines() {
  const made: { dir: string; closed: boolean }[] = [];
  const createEngine = async (dir: string): Promise<SamplingEngine> => {
    const record = { dir, closed: false };
    made.push(record);
    return {
      info: { name: dir } as SamplingEngine['info'],
      generate: async () => [],
      close: async () => {
        record.closed = true;
      },
    };
  };
  return { made, createEngine };
}

describe('engine pool', () => {
  it('reuses an engine per (folder, provider) and closes the least recently used past maxEngines', async () => {
    const { made, createEngine } = fakeEngines();
    const pool = createEnginePool({ createEngine, maxEngines: 2 });
    const a = await pool.get('a', 'cpu');
    expect(await pool.get('a', 'cpu')).toBe(a);
    await pool.get('b', 'cpu');
    await pool.get('a', 'cpu'); // a is now the most recent
    await pool.get('c', 'cpu');
    expect(made.map((m) => [m.dir, m.closed])).toEqual([['a', false], ['b', true], ['c', false]]);
    await pool.close();
    expect(made.every((m) => m.closed)).toBe(true);
  });

  it('reloads an evicted engine on the next get', async () => {
    const { made, createEngine } = fakeEngines();
    const pool = createEnginePool({ createEngine });
    const first = await pool.get('a', 'cpu');
    await pool.evict(first);
    const second = await pool.get('a', 'cpu');
    expect(second).not.toBe(first);
    expect(made.map((m) => m.closed)).toEqual([true, false]);
    await pool.close();
  });
});
