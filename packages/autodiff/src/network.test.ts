// A whole small network checked by finite differences over every parameter element: token
// embedding (Gather), 2-layer MLP, tied output head, softmax cross-entropy via GatherElements,
// padding mask, and an RMSNorm-style normaliser — the op mix of a decoder LM's training loss.
import { describe, expect, it } from 'vitest';
import type { GraphBuilder } from './builder.ts';
import { checkGradients } from './gradcheck.ts';
import type { Tensor } from './types.ts';

const V = 6;
const E = 4;
const H = 5;
const B = 2;
const T = 3;

function build(g: GraphBuilder, p: Record<string, Tensor>, d: Record<string, Tensor>): Tensor {
  const h0 = g.gather(p.embed!, d.ids!, 0); // [B, T, E]
  const rms = g.sqrt(g.add(g.reduceMean(g.mul(h0, h0), [-1], true), 1e-6));
  const x = g.mul(g.div(h0, rms), p.norm!);
  const h1 = g.tanh(g.add(g.matmul(x, p.w1!), p.b1!)); // [B, T, H]
  const h2 = g.add(g.matmul(h1, p.w2!), x); // residual, [B, T, E]
  const logits = g.matmul(h2, g.transpose(p.embed!, [1, 0])); // tied head, [B, T, V]
  const nll = g.neg(g.squeeze(g.gatherElements(g.logSoftmax(logits, -1), g.unsqueeze(d.labels!, [2]), 2), [2])); // [B, T]
  const mask = g.cast(d.mask!, 'float64');
  return g.div(g.reduceSum(g.mul(nll, mask), []), g.reduceSum(mask, []));
}

const data = {
  ids: { shape: [B, T], dtype: 'int64' as const, values: [1n, 5n, 1n, 0n, 3n, 2n] },
  labels: { shape: [B, T], dtype: 'int64' as const, values: [5n, 1n, 2n, 3n, 2n, 0n] },
  mask: { shape: [B, T], dtype: 'bool' as const, values: [1, 1, 1, 1, 1, 0] },
};
const params = { embed: { shape: [V, E] }, norm: { shape: [E] }, w1: { shape: [E, H] }, b1: { shape: [H] }, w2: { shape: [H, E] } };

describe('whole-network gradient check (float64, every element)', () => {
  for (const gatherGradient of ['scatter', 'onehot'] as const) {
    it(`embedding + MLP + tied head + masked cross-entropy (${gatherGradient} embedding gradient)`, async () => {
      const report = await checkGradients({ build, params, data, scale: 0.7, gatherGradient });
      expect(report.loss).toBeGreaterThan(0);
      for (const [name, r] of Object.entries(report.perParam)) expect(r.relError, name).toBeLessThan(1e-7);
    });
  }
});
