import { checkGradients, type DType, type GraphBuilder, type Tensor } from '@sppo/autodiff';
import { describe, expect, it } from 'vitest';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { parameterShapes } from '../llama/params.ts';
import { preferenceLoss, sftLoss } from './losses.ts';
import type { TokenBatch } from './sequence-logps.ts';
import { padBatch, randomRows, randomWeights, tinyConfig } from './test-utils.ts';

/** Smaller than the other tests' config: central differences run the graph twice per element. */
const small = (o: Partial<LlamaGraphConfig> = {}): LlamaGraphConfig =>
  tinyConfig({ vocab_size: 11, hidden_size: 8, intermediate_size: 12, head_dim: 2, ...o });

function fixture(cfg: LlamaGraphConfig, rows: number, T: number, side: 'left' | 'right', seed: number) {
  const w = randomWeights(cfg, seed, 0.5);
  const params = Object.fromEntries(parameterShapes(cfg).map(({ name, shape }) => [name, { shape, values: w.get(name) as Float64Array }]));
  const lengths = Array.from({ length: rows }, (_, i): [number, number] => [1 + (i % 3), 2 + ((i * 2) % 3)]);
  const b = padBatch(randomRows(cfg.vocab_size, lengths, seed + 1), T, { side });
  const ints = (m: number[][]) => ({ shape: [rows, T], dtype: 'int64' as DType, values: m.flat() });
  return {
    params,
    data: { input_ids: ints(b.inputIds), attention_mask: ints(b.attentionMask), response_mask: ints(b.responseMask) },
  };
}

const tokenBatch = (d: Record<string, Tensor>): TokenBatch => ({
  inputIds: d.input_ids as Tensor,
  attentionMask: d.attention_mask as Tensor,
  responseMask: d.response_mask as Tensor,
});

// ENGINE-NOTES: whole-model float64 finite differences reached 3e-9..6e-9 relative error.
const TOL = 1e-6;

describe('whole-model gradients against central finite differences (float64, every element)', () => {
  for (const [label, cfg, side, gatherGradient] of [
    ['SFT, untied head, GQA 4/2, right padding, one-hot embedding gradient', small(), 'right', 'onehot'],
    ['SFT, tied head, attention_bias, MQA 4/1, left padding', small({ tie_word_embeddings: true, attention_bias: true, num_key_value_heads: 1 }), 'left', 'scatter'],
  ] as const) {
    it(label, async () => {
      const { params, data } = fixture(cfg, 2, 6, side, 3);
      const report = await checkGradients({
        build: (g: GraphBuilder, p, d) => sftLoss(g, cfg, p, tokenBatch(d)).loss,
        params,
        data,
        gatherGradient,
      });
      expect(report.maxError, JSON.stringify(report.perParam)).toBeLessThan(TOL);
    });
  }

  for (const [label, cfg] of [
    ['sppo loss, untied head, GQA 4/2', small()],
    ['sppo loss, tied head, GQA 4/2', small({ tie_word_embeddings: true })],
  ] as const) {
    it(label, async () => {
      // 2 pairs = 4 rows; beta 0.5 keeps the targets O(1) so no term dominates the check.
      const { params, data } = fixture(cfg, 4, 6, 'right', 5);
      const vec = (values: number[]) => ({ shape: [2], dtype: 'float64' as DType, values });
      const report = await checkGradients({
        build: (g: GraphBuilder, p, d) =>
          preferenceLoss(
            g,
            cfg,
            p,
            tokenBatch(d),
            {
              referenceChosenLogps: d.reference_chosen_logps as Tensor,
              referenceRejectedLogps: d.reference_rejected_logps as Tensor,
              chosenProbsWin: d.chosen_probs_win as Tensor,
              chosenProbsLose: d.chosen_probs_lose as Tensor,
            },
            { lossType: 'sppo', beta: 0.5 },
          ).loss,
        params,
        data: {
          ...data,
          reference_chosen_logps: vec([-9.5, -6.1]),
          reference_rejected_logps: vec([-7.2, -12.3]),
          chosen_probs_win: vec([0.7, 0.6]),
          chosen_probs_lose: vec([0.3, 0.45]),
        },
      });
      expect(report.maxError, JSON.stringify(report.perParam)).toBeLessThan(TOL);
    });
  }
});
