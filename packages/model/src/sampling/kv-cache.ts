/**
 * The KV cache between decoding steps, kept as the plain float32 arrays onnxruntime returned
 * (`present.{i}.key|value`, [batch, kv_heads, length, head_dim]) and fed straight back as the next
 * `past_key_values`. Row surgery happens here: repeating a prompt's rows for its K samples after a
 * shared prefill, dropping finished rows (the batch shrinks instead of feeding padding), and
 * dropping leading columns that are padding in every remaining row.
 */

export interface KvCache {
  /** [key, value] per layer, each [batch, heads, length, headDim] row-major. */
  layers: { key: Float32Array; value: Float32Array }[];
  batch: number;
  heads: number;
  length: number;
  headDim: number;
}

export function emptyKvCache(layers: number, batch: number, heads: number, headDim: number): KvCache {
  return {
    layers: Array.from({ length: layers }, () => ({ key: new Float32Array(0), value: new Float32Array(0) })),
    batch,
    heads,
    length: 0,
    headDim,
  };
}

/**
 * A new cache whose row j is row `rows[j]` of `cache` (rows may repeat), without its first
 * `dropLeading` columns. Each (row, head) block is contiguous, so this is one memcpy per block.
 */
export function selectKvRows(cache: KvCache, rows: readonly number[], dropLeading = 0): KvCache {
  const { heads, length, headDim } = cache;
  if (dropLeading < 0 || dropLeading > length) throw new RangeError(`selectKvRows: dropLeading ${dropLeading} outside 0..${length}`);
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= cache.batch) throw new RangeError(`selectKvRows: row ${r} outside 0..${cache.batch - 1}`);
  }
  const newLength = length - dropLeading;
  const srcBlock = length * headDim;
  const dstBlock = newLength * headDim;
  const copy = (src: Float32Array): Float32Array => {
    const dst = new Float32Array(rows.length * heads * dstBlock);
    rows.forEach((r, j) => {
      for (let h = 0; h < heads; h++) {
        const from = (r * heads + h) * srcBlock + dropLeading * headDim;
        dst.set(src.subarray(from, from + dstBlock), (j * heads + h) * dstBlock);
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
    if (c.length !== first.length || c.heads !== first.heads || c.headDim !== first.headDim || c.layers.length !== first.layers.length) {
      throw new RangeError('concatKvRows: caches differ in length, heads, head size or layers');
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
