import { describe, expect, it } from 'vitest';
import { argmax, drawFrom, drawFromWeights, filteredWeights, sampleToken, samplingDistribution } from './logits.ts';
import { createSampleRng } from './rng.ts';

// A hand-made distribution over 5 tokens, most likely first: 1 (0.5), 3 (0.2), 4 (0.15), 0 (0.1), 2 (0.05).
const P = [0.1, 0.5, 0.05, 0.2, 0.15];
const logits = Float32Array.from(P, (p) => Math.log(p) + 3); // a shift changes nothing

function dist(params: { temperature?: number; topK?: number; topP?: number }) {
  const d = samplingDistribution(logits, { temperature: 1, topK: 0, topP: 1, ...params });
  return { ids: [...d.ids], probs: [...d.probs] };
}

describe('samplingDistribution', () => {
  it('keeps every token, most likely first, when no filter is on', () => {
    const d = dist({});
    expect(d.ids).toEqual([1, 3, 4, 0, 2]);
    d.probs.forEach((p, j) => expect(p).toBeCloseTo(P[d.ids[j] as number] as number, 6));
  });

  it('top_k keeps the k most likely tokens, renormalised', () => {
    const d = dist({ topK: 2 });
    expect(d.ids).toEqual([1, 3]);
    expect(d.probs[0]).toBeCloseTo(0.5 / 0.7, 6);
    expect(d.probs[1]).toBeCloseTo(0.2 / 0.7, 6);
    expect(dist({ topK: 10 }).ids).toEqual([1, 3, 4, 0, 2]);
  });

  it('top_p keeps the smallest prefix reaching the mass, including the token that crosses it', () => {
    expect(dist({ topP: 0.69 }).ids).toEqual([1, 3]);
    const d = dist({ topP: 0.75 });
    expect(d.ids).toEqual([1, 3, 4]);
    expect(d.probs[2]).toBeCloseTo(0.15 / 0.85, 6);
    expect(dist({ topP: 0.3 }).ids).toEqual([1]); // the top token always stays
  });

  it('applies top_p to the renormalised top-k distribution (HF and vLLM order)', () => {
    // Over the top 3 (mass 0.85) tokens 1 and 3 already hold 0.82 >= 0.8; over the raw
    // distribution they hold only 0.7 and token 4 would stay.
    expect(dist({ topK: 3, topP: 0.8 }).ids).toEqual([1, 3]);
  });

  it('temperature sharpens or flattens before the filters', () => {
    const d = dist({ temperature: 0.5 }); // p^2, renormalised
    const z = P.reduce((s, p) => s + p * p, 0);
    d.probs.forEach((p, j) => expect(p).toBeCloseTo((P[d.ids[j] as number] as number) ** 2 / z, 6));
    const flat = dist({ temperature: 1e6 });
    flat.probs.forEach((p) => expect(p).toBeCloseTo(0.2, 4));
  });

  it('agrees with a brute-force sort on a large random row, for top-p alone and with top-k', async () => {
    const rng = createSampleRng(9);
    const row = Float32Array.from({ length: 2000 }, () => 40 * (rng.next() - 0.5) ** 3);
    for (const [topK, topP] of [[0, 0.5], [0, 0.9], [0, 1 - 1e-9], [50, 0.9], [300, 1], [1, 1]] as const) {
      const fast = samplingDistribution(row, { temperature: 0.7, topK, topP });
      // Brute force: sort all, keep the top k, then keep while the mass before a token is below top_p.
      const w = Array.from(row, (v) => Math.exp(v / 0.7));
      const order = w.map((_, i) => i).sort((a, b) => (w[b] as number) - (w[a] as number) || a - b).slice(0, topK || w.length);
      const mass = order.reduce((s, i) => s + (w[i] as number), 0);
      const kept: number[] = [];
      let cum = 0;
      for (const i of order) {
        if (kept.length > 0 && cum >= topP * mass) break;
        kept.push(i);
        cum += w[i] as number;
      }
      expect([...fast.ids]).toEqual(kept);
    }
  });

  it('agrees with a brute-force sort on flat and tied rows of a 49k vocabulary (the bucketed top-p cut)', () => {
    const rng = createSampleRng(11);
    const flat = Float32Array.from({ length: 49152 }, () => 0.2 * (rng.next() - 0.5)); // a random-weight model's logits
    const tied = Float32Array.from({ length: 49152 }, (_, i) => Math.round(4 * Math.sin(i)) / 4); // 33 distinct values
    for (const row of [flat, tied]) {
      for (const topP of [0.3, 0.9, 0.999]) {
        const fast = samplingDistribution(row, { temperature: 0.7, topK: 0, topP });
        const w = Array.from(row, (v) => Math.exp(v / 0.7));
        const order = w.map((_, i) => i).sort((a, b) => (w[b] as number) - (w[a] as number) || a - b);
        const mass = w.reduce((a, b) => a + b, 0);
        let cum = 0;
        let kept = 0;
        while (kept === 0 || cum < topP * mass) cum += w[order[kept++] as number] as number;
        expect(fast.ids.length).toBe(kept);
        expect([...fast.ids]).toEqual(order.slice(0, kept));
      }
    }
  });

  it('breaks probability ties by token id', () => {
    const d = samplingDistribution(Float32Array.from([1, 2, 2, 1]), { temperature: 1, topK: 0, topP: 1 });
    expect([...d.ids]).toEqual([1, 2, 0, 3]);
  });
});

describe('drawing a token', () => {
  it('inverts the CDF over sorted candidates', () => {
    const d = samplingDistribution(logits, { temperature: 1, topK: 0, topP: 1 });
    expect(drawFrom(d, 0)).toBe(1);
    expect(drawFrom(d, 0.49)).toBe(1);
    expect(drawFrom(d, 0.51)).toBe(3);
    expect(drawFrom(d, 0.999999)).toBe(2);
  });

  it('samples by inverting the CDF over the kept tokens in id order', () => {
    // Kept by top_k 3: ids 1 (0.5), 3 (0.2), 4 (0.15) of mass 0.85; id order 1, 3, 4.
    const f = () => filteredWeights(logits, { temperature: 1, topK: 3, topP: 1 });
    expect(drawFromWeights(f(), 0)).toBe(1);
    expect(drawFromWeights(f(), 0.5 / 0.85 - 1e-6)).toBe(1);
    expect(drawFromWeights(f(), 0.5 / 0.85 + 1e-6)).toBe(3);
    expect(drawFromWeights(f(), 0.7 / 0.85 + 1e-6)).toBe(4);
    expect(drawFromWeights(f(), 0.9999999)).toBe(4);
    expect([...f().weights].map((x) => x > 0)).toEqual([false, true, false, true, true]);
  });

  it('greedy (temperature 0) is argmax, first index on ties, and draws no random number', () => {
    expect(argmax([0.1, 3, 3, -1])).toBe(1);
    let draws = 0;
    const rng = { next: () => (draws++, 0.5) };
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, rng)).toBe(1);
    expect(draws).toBe(0);
  });

  it('sampled frequencies follow the filtered distribution and never leave it', () => {
    const rng = createSampleRng(123);
    const counts = new Map<number, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const t = sampleToken(logits, { temperature: 1, topK: 3, topP: 1 }, rng);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 3, 4]);
    expect((counts.get(1) ?? 0) / n).toBeCloseTo(0.5 / 0.85, 1);
    expect((counts.get(3) ?? 0) / n).toBeCloseTo(0.2 / 0.85, 1);
    expect((counts.get(4) ?? 0) / n).toBeCloseTo(0.15 / 0.85, 1);
  });
});
