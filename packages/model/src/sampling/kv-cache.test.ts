import { describe, expect, it } from 'vitest';
import { concatKvRows, emptyKvCache, kvCacheBytes, selectKvRows, type KvCache } from './kv-cache.ts';

/** batch 3, heads 2, length 3, headDim 2; value = 1000*row + 100*head + 10*col + d. */
function cache(): KvCache {
  const data = new Float32Array(3 * 2 * 3 * 2);
  let i = 0;
  for (let b = 0; b < 3; b++) for (let h = 0; h < 2; h++) for (let t = 0; t < 3; t++) for (let d = 0; d < 2; d++) data[i++] = 1000 * b + 100 * h + 10 * t + d;
  return { layers: [{ key: data, value: data.map((v) => -v) }], batch: 3, heads: 2, length: 3, headDim: 2 };
}

describe('selectKvRows', () => {
  it('repeats, reorders and drops rows', () => {
    const out = selectKvRows(cache(), [2, 0, 0]);
    expect(out.batch).toBe(3);
    const key = out.layers[0]?.key as Float32Array;
    expect(key[0]).toBe(2000);
    expect(key[12]).toBe(0);
    expect(key[24]).toBe(0);
    expect(out.layers[0]?.value[12 + 5]).toBe(-(0 + 0 + 20 + 1));
  });

  it('drops leading columns of every (row, head) block', () => {
    const out = selectKvRows(cache(), [1], 2);
    expect(out.length).toBe(1);
    expect([...(out.layers[0]?.key as Float32Array)]).toEqual([1020, 1021, 1120, 1121]);
    expect(kvCacheBytes(out)).toBe(2 * 4 * 4);
  });

  it('rejects rows and column counts out of range', () => {
    expect(() => selectKvRows(cache(), [3])).toThrow(/row 3/);
    expect(() => selectKvRows(cache(), [0], 4)).toThrow(/dropLeading/);
  });

  it('keeps spare columns (capacity) and reads a source that has them', () => {
    const wide = selectKvRows(cache(), [1, 0], 1, 5); // 2 columns kept, 3 spare per block
    expect(wide.capacity).toBe(5);
    expect(wide.length).toBe(2);
    const key = wide.layers[0]?.key as Float32Array;
    expect(key.length).toBe(2 * 2 * 5 * 2);
    expect([...key.subarray(0, 10)]).toEqual([1010, 1011, 1020, 1021, 0, 0, 0, 0, 0, 0]);
    // Reading back from the wide cache skips its spare columns.
    const narrow = selectKvRows(wide, [1]);
    expect(narrow.capacity).toBeUndefined();
    expect([...(narrow.layers[0]?.key as Float32Array)]).toEqual([10, 11, 20, 21, 110, 111, 120, 121]);
    expect(() => selectKvRows(cache(), [0], 0, 2)).toThrow(/capacity 2/);
    expect(emptyKvCache(1, 2, 2, 4, 3).layers[0]?.key.length).toBe(2 * 2 * 3 * 4);
  });

  it('an empty cache has zero length and no data', () => {
    const c = emptyKvCache(2, 4, 2, 8);
    expect(c.layers).toHaveLength(2);
    expect(kvCacheBytes(c)).toBe(0);
    expect(selectKvRows(c, [0, 0]).batch).toBe(2);
  });
});

describe('concatKvRows', () => {
  it('stacks caches along the batch and is undone by selectKvRows', () => {
    const c = cache();
    const stacked = concatKvRows([selectKvRows(c, [0]), selectKvRows(c, [1, 2])]);
    expect(stacked.batch).toBe(3);
    expect(stacked.layers[0]?.key).toEqual(c.layers[0]?.key);
    expect(() => concatKvRows([c, selectKvRows(c, [0], 1)])).toThrow(/differ/);
  });
});
