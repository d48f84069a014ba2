import { batchPreferenceLossReference, preferenceMetricsReference, singleResponseSppoLossReference } from '@sppo/core';
import { createGraph, type Tensor } from '@sppo/autodiff';
import { describe, expect, it } from 'vitest';
import { referenceLogits, referenceSequenceLogps } from '../llama/reference.ts';
import { declareParams } from './decoder.ts';
import { PREFERENCE_LOSS_TYPES, preferenceLoss, probabilityInputsFor, sftLoss, singleResponseSppoLoss, type LossGraph } from './losses.ts';
import { declareTokenBatch } from './sequence-logps.ts';
import { floats, int64, padBatch, paramFeeds, preferenceFixture, randomRows, randomWeights, runModel, tinyConfig, values } from './test-utils.ts';

const cfg = tinyConfig({ tie_word_embeddings: true });
const weights = randomWeights(cfg, 17);
const T = 9;
// 2 pairs: rows 0-1 chosen, rows 2-3 rejected (TRL's concatenated batch), right padded.
const batch = padBatch(randomRows(cfg.vocab_size, [[3, 5], [2, 4], [3, 3], [2, 6]], 23), T);
const policy = referenceSequenceLogps(cfg, weights, batch).logps;
const { refChosen, refRejected, probs, examples } = preferenceFixture(policy);

async function runLoss(build: (g: ReturnType<typeof createGraph>) => LossGraph, extra: Record<string, number[]>): Promise<Record<string, number>> {
  const g = createGraph({ name: 'loss', floatType: 'float64' });
  const { loss, metrics } = build(g);
  g.output('loss', loss);
  for (const [k, t] of Object.entries(metrics)) g.output(k, t);
  const feeds = {
    ...paramFeeds(cfg, weights, 'float64'),
    input_ids: int64(batch.inputIds),
    attention_mask: int64(batch.attentionMask),
    response_mask: int64(batch.responseMask),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, floats(v, 'float64')])),
  };
  const out = await runModel(g.toModel(), feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, values(v)[0] as number]));
}

function closeRel(got: number | undefined, want: number, tol = 1e-10): void {
  expect(got).toBeDefined();
  expect(Math.abs((got as number) - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
}

describe('preference loss graphs equal packages/core reference functions (float64)', () => {
  for (const lossType of PREFERENCE_LOSS_TYPES) {
    const settings: [beta: number, labelSmoothing: number][] = lossType === 'sigmoid' ? [[0.1, 0], [0.5, 0.2]] : [[0.1, 0], [0.001, 0]];
    for (const [beta, labelSmoothing] of settings) {
      it(`${lossType}, beta ${beta}${labelSmoothing ? `, label smoothing ${labelSmoothing}` : ''}`, async () => {
        const used = probabilityInputsFor(lossType);
        const got = await runLoss(
          (g) => {
            const p = declareParams(g, cfg);
            const tb = declareTokenBatch(g, 4, T);
            const input = (name: string): Tensor => g.input(name, [2], 'float64');
            const opt = (name: (typeof used)[number]): Tensor | undefined => (used.includes(name) ? input(name) : undefined);
            return preferenceLoss(
              g,
              cfg,
              p,
              tb,
              {
                referenceChosenLogps: input('reference_chosen_logps'),
                referenceRejectedLogps: input('reference_rejected_logps'),
                chosenProbs: opt('chosen_probs'),
                chosenProbsWin: opt('chosen_probs_win'),
                chosenProbsLose: opt('chosen_probs_lose'),
              },
              { lossType, beta, labelSmoothing },
            );
          },
          {
            reference_chosen_logps: refChosen,
            reference_rejected_logps: refRejected,
            ...Object.fromEntries(used.map((k) => [k, probs[k]])),
          },
        );
        closeRel(got.loss, batchPreferenceLossReference(lossType, examples, { beta, labelSmoothing }));
        const metrics = preferenceMetricsReference(examples, beta);
        for (const [k, v] of Object.entries(metrics)) closeRel(got[k], v);
        expect(got['rewards/accuracies']).toBe(0.5);
      });
    }
  }

  it('per-response SPPO (selection all) equals singleResponseSppoLossReference, mean over rows', async () => {
    const ref = [-20, -15, -30, -12];
    const win = [0.9, 0.5, 0.1, 0.65];
    const beta = 0.05;
    const got = await runLoss(
      (g) =>
        singleResponseSppoLoss(
          g,
          cfg,
          declareParams(g, cfg),
          declareTokenBatch(g, 4, T),
          { referenceLogps: g.input('reference_logps', [4], 'float64'), winRate: g.input('win_rate', [4], 'float64') },
          { beta },
        ),
      { reference_logps: ref, win_rate: win },
    );
    const want = policy.reduce((s, lp, i) => s + singleResponseSppoLossReference(lp, ref[i] as number, win[i] as number, beta), 0) / 4;
    closeRel(got.loss, want);
    closeRel(got['logps/mean'], policy.reduce((a, b) => a + b, 0) / 4);
  });

  it('SFT loss is the mean NLL over all response tokens of the batch, with token accuracy', async () => {
    // Row 0's response is made greedy under the model, so its tokens are all argmax hits.
    const sft = { inputIds: batch.inputIds.map((r) => [...r]), attentionMask: batch.attentionMask, responseMask: batch.responseMask };
    const row0 = sft.inputIds[0] as number[];
    for (let t = 1; t < T; t++) {
      if (sft.responseMask[0]?.[t] !== 1) continue;
      const row = Array.from(referenceLogits(cfg, weights, { inputIds: [row0] })[0]?.[t - 1] ?? []);
      row0[t] = row.indexOf(Math.max(...row));
    }
    const g = createGraph({ name: 'sft', floatType: 'float64' });
    const { loss, metrics } = sftLoss(g, cfg, declareParams(g, cfg), declareTokenBatch(g, 4, T));
    g.output('loss', loss);
    for (const [k, t] of Object.entries(metrics)) g.output(k, t);
    const out = await runModel(g.toModel(), {
      ...paramFeeds(cfg, weights, 'float64'),
      input_ids: int64(sft.inputIds),
      attention_mask: int64(sft.attentionMask),
      response_mask: int64(sft.responseMask),
    });
    const tokens = 5 + 4 + 3 + 6;
    const ref = referenceSequenceLogps(cfg, weights, sft).logps;
    closeRel(values(out.loss)[0], -ref.reduce((a, b) => a + b, 0) / tokens);
    expect(values(out.num_tokens)[0]).toBe(tokens);
    const logits = referenceLogits(cfg, weights, sft);
    let correct = 0;
    sft.inputIds.forEach((ids, b) => {
      for (let t = 1; t < T; t++) {
        if (sft.responseMask[b]?.[t] !== 1) continue;
        const row = Array.from(logits[b]?.[t - 1] ?? []);
        if (row.indexOf(Math.max(...row)) === ids[t]) correct++;
      }
    });
    expect(correct).toBeGreaterThanOrEqual(5);
    closeRel(values(out.mean_token_accuracy)[0], correct / tokens);
  });

  it('rejects an unknown loss type with the valid values', () => {
    const g = createGraph({ name: 'x', floatType: 'float64' });
    expect(() =>
      preferenceLoss(g, cfg, declareParams(g, cfg), declareTokenBatch(g, 4, T), {
        referenceChosenLogps: g.input('a', [2]),
        referenceRejectedLogps: g.input('b', [2]),
      }, { lossType: 'kto' as never, beta: 0.1 }),
    ).toThrow(/Should be one of: sppo, sppo_single, sppo_hard, sigmoid, ipo/);
  });
});
