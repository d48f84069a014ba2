// Algorithm checks on a tabular policy (brief section 3): the fitted eq. (4.7) update against the
// closed-form SPPO update, and self-play on rock-paper-scissors (last iterate vs average).
import { createRng } from '@sppo/model';
import { describe, expect, it } from 'vitest';
import {
  dualityGap,
  exactSppoUpdate,
  fitSquaredLoss,
  maxAbsDiff,
  populationTriplets,
  sampleTriplets,
  selfPlay,
  winRatesAgainst,
} from './tabular.ts';

// A transitive-ish 5-response preference (P[i][j] + P[j][i] = 1) and a non-uniform pi_t.
const P5 = [
  [0.5, 0.7, 0.8, 0.6, 0.9],
  [0.3, 0.5, 0.6, 0.4, 0.7],
  [0.2, 0.4, 0.5, 0.45, 0.6],
  [0.4, 0.6, 0.55, 0.5, 0.8],
  [0.1, 0.3, 0.4, 0.2, 0.5],
];
const PI0 = [0.1, 0.3, 0.25, 0.15, 0.2];
// Rock-paper-scissors with soft wins: no pure winner; the unique Nash equilibrium is uniform.
const RPS = [
  [0.5, 0.9, 0.1],
  [0.1, 0.5, 0.9],
  [0.9, 0.1, 0.5],
];

describe('tabular SPPO maths', () => {
  it('the exact update keeps a response at win rate 1/2 and the average win rate of pi against itself is 1/2', () => {
    const w = winRatesAgainst(P5, PI0);
    expect(w.reduce((s, v, i) => s + v * (PI0[i] as number), 0)).toBeCloseTo(0.5, 12);
    const next = exactSppoUpdate(PI0, P5, 1);
    expect(next.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Responses that beat pi_t gain mass, the others lose it.
    next.forEach((p, i) => expect(Math.sign(p - (PI0[i] as number))).toBe(Math.sign((w[i] as number) - 0.5)));
    expect(dualityGap([1 / 3, 1 / 3, 1 / 3], RPS)).toBeCloseTo(0, 12);
  });
});

describe('eq. (4.7) fitted on samples recovers the closed-form update (softmax policy, logits only, autodiff)', () => {
  it('eta = 1: population minimiser within 5e-4 and 20k sampled triplets within 1.5e-3 of the exact update (max |delta pi|)', async () => {
    const eta = 1;
    const theta = PI0.map(Math.log);
    const exact = exactSppoUpdate(PI0, P5, eta);
    const population = await fitSquaredLoss({ theta, data: populationTriplets(PI0, P5), eta });
    const fitted = await fitSquaredLoss({ theta, data: sampleTriplets(PI0, P5, { samples: 20_000, opponents: 5, rng: createRng(3) }), eta });
    const figures = {
      shift: maxAbsDiff(exact, PI0),
      populationVsExact: maxAbsDiff(population.pi, exact),
      sampledVsPopulation: maxAbsDiff(fitted.pi, population.pi),
      sampledVsExact: maxAbsDiff(fitted.pi, exact),
    };
    console.log('tabular eta=1', JSON.stringify(figures));
    expect(population.finalLoss).toBeLessThan(population.initialLoss / 100);
    // The update is a real move (3e-2), recovered to about 1% of it.
    expect(figures.shift).toBeGreaterThan(0.02);
    expect(figures.populationVsExact).toBeLessThan(5e-4);
    expect(figures.sampledVsExact).toBeLessThan(1.5e-3);
  });

  it('the gap to the exact update comes from log Z ~ eta/2 and grows with eta (second order)', async () => {
    const theta = PI0.map(Math.log);
    const errors: number[] = [];
    for (const eta of [0.5, 2, 5]) {
      const population = await fitSquaredLoss({ theta, data: populationTriplets(PI0, P5), eta });
      errors.push(maxAbsDiff(population.pi, exactSppoUpdate(PI0, P5, eta)));
    }
    console.log('tabular population-vs-exact for eta 0.5, 2, 5:', errors.map((e) => e.toExponential(2)).join(', '));
    expect(errors[0]).toBeLessThan(1e-4);
    expect(errors[1]).toBeGreaterThan(4 * (errors[0] as number));
    expect(errors[2]).toBeGreaterThan(4 * (errors[1] as number));
  });
});

describe('rock-paper-scissors: last iterate vs average of iterates', () => {
  it('the average approaches the uniform Nash equilibrium while the last iterate keeps cycling; fitted iterates track exact ones', async () => {
    const pi0 = [0.6, 0.3, 0.1];
    const exact = await selfPlay({ P: RPS, pi0, eta: 1, iterations: 40, mode: 'exact' });
    const fitted = await selfPlay({ P: RPS, pi0, eta: 1, iterations: 20, mode: 'fitted', samples: 4000, steps: 250 });
    const row = (r: { t: number; gapLast: number; gapAverage: number }) => `t=${r.t} last ${r.gapLast.toFixed(3)} avg ${r.gapAverage.toFixed(3)}`;
    console.log('RPS exact:', exact.filter((r) => r.t % 5 === 0).map(row).join(' | '));
    console.log('RPS fitted:', fitted.filter((r) => r.t % 5 === 0).map(row).join(' | '));
    const last = exact.at(-1)!;
    expect(last.gapAverage).toBeLessThan(0.05);
    expect(last.gapAverage).toBeLessThan(exact[0]!.gapAverage / 4);
    // The last iterate does not converge: over the last 10 rounds its gap stays large.
    expect(Math.max(...exact.slice(-10).map((r) => r.gapLast))).toBeGreaterThan(0.3);
    // Fitting eq. (4.7) on 4000 sampled triplets per round follows the exact dynamics.
    for (const r of fitted) expect(Math.abs(r.gapAverage - (exact[r.t] as { gapAverage: number }).gapAverage)).toBeLessThan(0.03);
    expect(fitted.at(-1)!.gapAverage).toBeLessThan(fitted[0]!.gapAverage * 0.75);
  });
});
