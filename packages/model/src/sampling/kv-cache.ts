/**
 * The KV cache between decoding steps, kept as the plain float32 arrays onnxruntime returned
 * (`present.{i}.key|value`, [batch, kv_heads, length, head_dim]) and fed straight back as the next
 * `past_key_values`. Row surgery happens here: repeating a prompt's rows for its K samples after a
 * shared prefill, dropping finished rows (the batch shrinks instead of feeding padding), and
 * dropping leading columns that are padding in every remaining row.
 *
 * A cache may hold more columns than it uses (`capacity` > `length`): the engine's shared-cache
 * decoder (graphs/shared-cache.ts) appends each step's key/value in place into those spare
 * columns instead of copying the cache into a new present.
 */

export interface KvCache {
  /** [key, value] per layer, each [batch, heads, length, headDim] row-major. */
  layers: { key: Float32Array; value: Float32Array }[];
  batch: number;
  heads: number;
  length: number;
  headDim: number;
  /** Columns allocated per (row, head) block; absent = `length` (no spare columns). */
  capacity?: number;
}

/** Columns allocated per (row, head) block. */
export function kvCapacity(cache: KvCache): number {
  return cache.capacity ?? cache.length;
}

/** A cache with no columns used; `capacity` > 0 allocates that many (zeroed) columns for in-place appends. */
export function emptyKvCache(layers: number, batch: number, heads: number, headDim: number, capacity = 0): KvCache {
  const size = batch * heads * capacity * headDim;
  return {
    layers: Array.from({ length: layers }, () => ({ key: new Float32Array(size), value: new Float32Array(size) })),
    batch,
    heads,
    length: 0,
    headDim,
    ...(capacity > 0 ? { capacity } : {}),
  };
}

/**
 * A new cache whose row j is row `rows[j]` of `cache` (rows may repeat), without its first
 * `dropLeading` columns. Each (row, head) block is contiguous, so this is one memcpy per block.
 * With `capacity` the new blocks get that many columns (>= the columns kept), the rest spare.
 */
export function selectKvRows(cache: KvCache, rows: readonly number[], dropLeading = 0, capacity?: number): KvCache {
  const { heads, length, headDim } = cache;
  if (dropLeading < 0 || dropLeading > length) throw new RangeError(`selectKvRows: dropLeading ${dropLeading} outside 0..${length}`);
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= cache.batch) throw new RangeError(`selectKvRows: row ${r} outside 0..${cache.batch - 1}`);
  }
  const newLength = length - dropLeading;
  const newCapacity = capacity ?? newLength;
  if (!Number.isInteger(newCapacity) || newCapacity < newLength) throw new RangeError(`selectKvRows: capacity ${newCapacity} is below the ${newLength} columns kept`);
  const srcBlock = kvCapacity(cache) * headDim;
  const dstBlock = newCapacity * headDim;
  const used = newLength * headDim;
  const copy = (src: Float32Array): Float32Array => {
    const dst = new Float32Array(rows.length * heads * dstBlock);
    rows.forEach((r, j) => {
      for (let h = 0; h < heads; h++) {
        const from = (r * heads + h) * srcBlock + dropLeading * headDim;
        dst.set(src.subarray(from, from + used), (j * heads + h) * dstBlock);
      }
    });
    return dst;
  };
  return {
    layers: cache.layers.map(({ key, value }) => ({ key: copy(key), value: copy(value) })),
    batch: rows.length,
    heads,
    length: newLength,
    headDim,
    ...(capacity === undefined ? {} : { capacity: newCapacity }),
  };
}

/** Bytes held by the cache (for memory accounting in logs and benchmarks). */
export function kvCacheBytes(cache: KvCache): number {
  return cache.layers.reduce((n, l) => n + l.key.byteLength + l.value.byteLength, 0);
}

/** Caches of equal length stacked along the batch (chunked prefills of one batch). */
export function concatKvRows(caches: readonly KvCache[]): KvCache {
  const [first] = caches;
  if (first === undefined) throw new RangeError('concatKvRows: no caches');
  if (caches.length === 1) return first;
  for (const c of caches) {
    if (c.length !== first.length || kvCapacity(c) !== kvCapacity(first) || c.heads !== first.heads || c.headDim !== first.headDim || c.layers.length !== first.layers.length) {
      throw new RangeError('concatKvRows: caches differ in length, capacity, heads, head size or layers');
    }
  }
  return {
    layers: first.layers.map((_, i) => ({
      key: concatFloats(caches.map((c) => (c.layers[i] as KvCache['layers'][number]).key)),
      value: concatFloats(caches.map((c) => (c.layers[i] as KvCache['layers'][number]).value)),
    })),
    batch: caches.reduce((n, c) => n + c.batch, 0),
    heads: first.heads,
    length: first.length,
    headDim: first.headDim,
    ...(first.capacity === undefined ? {} : { capacity: first.capacity }),
  };
}

/** The arrays one after the other in one new array. */
export function concatFloats(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
