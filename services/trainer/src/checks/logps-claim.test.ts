// The paper's claim (SPPO-REFERENCE 1.3, "Contrast with DPO/IPO"): SPPO gives each response its
// own target, so it raises the chosen response's log-likelihood in absolute terms, while DPO only
// constrains the gap and mainly widens the margin (often lowering both likelihoods). Measured on
// the same data, the same tiny model (SFT-warmed on the synthetic corpus) and the same optimizer.
import { createSequenceScorer, createTokenizer, prepareSftData, preparePreferenceData, resolveTrainingArgs, scoredSequences, syntheticCorpus, trainPolicy } from '@sppo/model';
import type { SequenceInput } from '@sppo/model';
import { describe, expect, it } from 'vitest';
import { pairRows, tinyConfig, tinyTokenizerFiles, tinyWeights } from '../test-fixtures.ts';

const tokenizer = createTokenizer(tinyTokenizerFiles.tokenizerJson, tinyTokenizerFiles.tokenizerConfig);
const padId = tokenizer.padId;

async function logps(weights: Map<string, Float32Array>, sequences: SequenceInput[]): Promise<number[]> {
  const scorer = await createSequenceScorer({ config: tinyConfig, weights, padId });
  try {
    return (await scorer.score(sequences)).logps;
  } finally {
    await scorer.close();
  }
}

describe('SPPO vs DPO: absolute log-likelihood of the chosen response', () => {
  it('SPPO raises log p(chosen) and lowers log p(rejected); DPO widens the margin more and moves log p(chosen) lower', async () => {
    // A warm start, so the model is a (tiny) language model of the corpus, as an SFT checkpoint is.
    const sftArgs = resolveTrainingArgs({ preset: 'tiny', args: { num_train_epochs: 4, learning_rate: 3e-3 } });
    const docs = syntheticCorpus({ documents: 64, seed: 21 });
    const sft = prepareSftData(docs.map((d, i) => ({ prompt: `Question ${i}: say something`, response: d.slice(0, 40) })), { tokenizer, args: sftArgs });
    const base = (await trainPolicy({ config: tinyConfig, weights: tinyWeights, data: sft.data, args: sftArgs, padId })).weights;

    const rows = pairRows(32);
    const results: Record<string, { chosen: number; rejected: number; margin: number }> = {};
    for (const lossType of ['sppo', 'sigmoid'] as const) {
      const args = resolveTrainingArgs({ preset: 'tiny', args: { loss_type: lossType, beta: 0.1, num_train_epochs: 6, learning_rate: 1e-3 } });
      const { data } = preparePreferenceData(rows, { tokenizer, args });
      const sequences = scoredSequences(data);
      const ref = await logps(base, sequences);
      const trained = await logps((await trainPolicy({ config: tinyConfig, weights: base, data, args, padId })).weights, sequences);
      let chosen = 0;
      let rejected = 0;
      for (let i = 0; i < rows.length; i++) {
        chosen += ((trained[2 * i] as number) - (ref[2 * i] as number)) / rows.length;
        rejected += ((trained[2 * i + 1] as number) - (ref[2 * i + 1] as number)) / rows.length;
      }
      results[lossType] = { chosen, rejected, margin: chosen - rejected };
    }
    console.log('mean change of summed log-probs vs pi_t (nats):', JSON.stringify(results));
    const sppo = results.sppo!;
    const dpo = results.sigmoid!;
    expect(sppo.chosen).toBeGreaterThan(0);
    expect(sppo.rejected).toBeLessThan(0);
    expect(dpo.margin).toBeGreaterThan(sppo.margin);
    expect(dpo.chosen).toBeLessThan(sppo.chosen);
  });
});
