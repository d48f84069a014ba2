/**
 * One random stream per sample row, seeded by that row's seed alone, so that a (checkpoint,
 * prompt, seed) triple gives the same text whatever else shares its batch: row b's n-th draw is
 * the n-th number of stream(seed_b), never a number another row consumed.
 * xoshiro128** (Blackman & Vigna, public domain) seeded through splitmix32, 53-bit uniforms.
 */

export interface SampleRng {
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

export function createSampleRng(seed: number): SampleRng {
  // Seeds up to 2^32 - 1; fold higher bits in so that larger JS integers still differ.
  const init = splitmix32((seed >>> 0) ^ Math.floor(seed / 2 ** 32));
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point
  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  return {
    next: () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992,
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
