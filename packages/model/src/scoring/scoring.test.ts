import { describe, expect, it } from 'vitest';
import { randomRows, randomWeights, roundToFloat32, tinyConfig } from '../graphs/test-utils.ts';
import { referenceSequenceLogps } from '../llama/reference.ts';
import { syntheticCorpus } from '../synthetic-corpus.ts';
import { createTokenizer } from '../tokenizer.ts';
import { trainBpeTokenizer } from '../tokenizer-train.ts';
import { planScoreBatches } from './plan.ts';
import { splitLastAssistant, tokenizeScoreRow } from './rows.ts';
import { createSequenceScorer } from './scorer.ts';

describe('planScoreBatches', () => {
  it('batches the longest rows first, ties by index, each padded to a power-of-two bucket', () => {
    const plans = planScoreBatches([5, 40, 17, 5, 70, 3], { batchSize: 2 });
    expect(plans).toEqual([
      { rows: [4, 1], seqLen: 128 },
      { rows: [2, 0], seqLen: 32 },
      { rows: [3, 5], seqLen: 16 },
    ]);
  });
  it('covers every row exactly once and refuses a bad batch size', () => {
    const lengths = Array.from({ length: 23 }, (_, i) => (i * 7) % 31);
    const rows = planScoreBatches(lengths, { batchSize: 4 }).flatMap((p) => p.rows);
    expect([...rows].sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    expect(() => planScoreBatches([1], { batchSize: 0 })).toThrow(/positive integer/);
  });
});

describe('createSequenceScorer', () => {
  const config = tinyConfig({ tie_word_embeddings: true });
  // Rounded through float32 so the float64 reference sees exactly the weights the graph runs.
  const weights = roundToFloat32(randomWeights(config, 3));
  const rows = randomRows(config.vocab_size, [[3, 4], [9, 12], [1, 2], [6, 1], [20, 13]], 5);
  const sequences = rows.map((r) => ({ promptIds: r.prompt, responseIds: r.response }));
  const reference = sequences.map((s) => {
    const ids = [...s.promptIds, ...s.responseIds];
    const r = referenceSequenceLogps(config, weights, {
      inputIds: [ids],
      responseMask: [ids.map((_, t) => (t >= s.promptIds.length ? 1 : 0))],
    });
    return r.logps[0] as number;
  });

  for (const thread of ['main', 'worker'] as const) {
    it(`matches the float64 reference forward in input order across buckets and filler rows (${thread} thread)`, async () => {
      const batches: number[] = [];
      const scorer = await createSequenceScorer({ config, weights, padId: 0, batchSize: 2, thread, onBatch: (i) => batches.push(i.seqLen) });
      try {
        const { logps, counts } = await scorer.score(sequences);
        expect(counts).toEqual([4, 12, 2, 1, 13]);
        logps.forEach((lp, i) => expect(Math.abs(lp - (reference[i] as number))).toBeLessThan(1e-4 * (1 + Math.abs(reference[i] as number))));
        expect(batches).toEqual([64, 16, 16]);
      } finally {
        await scorer.close();
      }
    });
  }

  it('refuses weights that do not match the config', async () => {
    const wrong = new Map(weights);
    wrong.delete('model.norm.weight');
    await expect(createSequenceScorer({ config, weights: wrong, padId: 0 })).rejects.toThrow(/model\.norm\.weight/);
  });
});

describe('tokenizeScoreRow', () => {
  const trained = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 200 }), vocabSize: 400 });
  const tokenizer = createTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
  const row = { prompt: 'the cat likes the red ball '.repeat(4), response: 'a dog reads some code every day.' };

  it('splits at the generation prompt; the response ends with the end-of-turn marker', () => {
    const t = tokenizeScoreRow(row, { tokenizer, maxLength: 1024 });
    expect(tokenizer.decode(t.promptIds)).toBe(`<|begin_of_text|><|user|>\n${row.prompt}<|end|><|assistant|>\n`);
    expect(tokenizer.decode(t.responseIds)).toBe(`${row.response}<|end|>`);
    expect(t).toMatchObject({ truncated: false, overlong: false });
  });

  it('reports an overlong row, or cuts it by TRL keep_end keeping the BOS', () => {
    const full = tokenizeScoreRow(row, { tokenizer, maxLength: 1024 });
    const total = full.promptIds.length + full.responseIds.length;
    const over = tokenizeScoreRow(row, { tokenizer, maxLength: total - 1 });
    expect(over).toMatchObject({ overlong: true, fullPromptTokens: full.promptIds.length, fullResponseTokens: full.responseIds.length });
    const cut = tokenizeScoreRow(row, { tokenizer, maxLength: 16, truncate: true, maxPromptLength: 8 });
    expect(cut.truncated).toBe(true);
    expect(cut.promptIds).toHaveLength(8);
    expect(cut.promptIds[0]).toBe(tokenizer.bosId);
    expect(cut.responseIds).toEqual(full.responseIds.slice(0, 8));
  });

  it('takes a chat whose last message is the assistant response', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
    ];
    expect(splitLastAssistant(messages)).toEqual({ prompt: messages.slice(0, 2), response: 'Hello.' });
    expect(() => splitLastAssistant(messages.slice(0, 2))).toThrow(/must end with the assistant response/);
  });
});
