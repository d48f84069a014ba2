// PairRM input building on a tiny tokenizer: token layout, truncation budgets (source 1224 ->
// candidates 412 + half the unused source budget, scaled down here), SEP replacement.
import { describe, expect, it } from 'vitest';
import { createTokenizer } from '../tokenizer.ts';
import { JUDGE_SPECIAL_TOKENS, trainBpeTokenizer } from '../tokenizer-train.ts';
import { collatePairwiseInputs, createPairRMInputBuilder, resolvePairRMTokens } from './inputs.ts';

const trained = trainBpeTokenizer({ corpus: ['hello world', 'a b c d e f g'], vocabSize: 290, extraSpecialTokens: JUDGE_SPECIAL_TOKENS });
const tokenizer = createTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
const tokens = resolvePairRMTokens(tokenizer);
const { ids } = tokens;
const enc = (s: string): number[] => tokenizer.encode(s, { addSpecialTokens: false });

describe('resolvePairRMTokens', () => {
  it('finds [CLS], [SEP] and the markers', () => {
    expect(tokens.sepText).toBe('[SEP]');
    for (const [name, text] of [['cls', '[CLS]'], ['sep', '[SEP]'], ['source', '<|source|>'], ['candidate', '<|candidate|>'], ['candidate1', '<|candidate1|>'], ['candidate2', '<|candidate2|>']] as const) {
      expect(ids[name]).toBe(tokenizer.tokenToId(text));
    }
    expect(ids.pad).toBe(tokenizer.padId);
  });

  it('explains what is missing in a tokenizer without the markers', () => {
    const plain = trainBpeTokenizer({ corpus: ['x'], vocabSize: 270 });
    expect(() => resolvePairRMTokens(createTokenizer(plain.tokenizerJson, plain.tokenizerConfig))).toThrow(/<\|source\|>.*JUDGE_SPECIAL_TOKENS/s);
  });
});

describe('createPairRMInputBuilder', () => {
  it('lays out [CLS] <|source|> src [SEP] [CLS] <|candidate1|> c1 [SEP] [CLS] <|candidate2|> c2 [SEP]', () => {
    const b = createPairRMInputBuilder({ tokenizer, tokens, maxSourceTokens: 64, maxCandidateTokens: 32 });
    const x = b.build({ prompt: 'hello', candidate1: 'a b', candidate2: 'world' });
    const src = [ids.cls, ids.source, ...enc('hello'), ids.sep];
    const c1 = [ids.cls, ids.candidate1, ...enc('a b'), ids.sep];
    const c2 = [ids.cls, ids.candidate2, ...enc('world'), ids.sep];
    expect(x.inputIds).toEqual([...src, ...c1, ...c2]);
    expect(x.inputIds[x.sourceIndex]).toBe(ids.source);
    expect(x.inputIds[x.candidate1Index]).toBe(ids.candidate1);
    expect(x.inputIds[x.candidate2Index]).toBe(ids.candidate2);
    // The generic <|candidate|> never reaches the model.
    expect(x.inputIds).not.toContain(ids.candidate);
  });

  it('truncates the source on the right to maxSourceTokens (specials included)', () => {
    const b = createPairRMInputBuilder({ tokenizer, tokens, maxSourceTokens: 6, maxCandidateTokens: 5 });
    const long = 'a b c d e f g';
    expect(enc(long).length).toBeGreaterThan(3);
    const src = b.encodeSource(long);
    expect(src).toEqual([ids.cls, ids.source, ...enc(long).slice(0, 3), ids.sep]);
    expect(src).toHaveLength(6);
  });

  it('gives each candidate maxCandidateTokens + floor(unused source budget / 2)', () => {
    const b = createPairRMInputBuilder({ tokenizer, tokens, maxSourceTokens: 12, maxCandidateTokens: 5 });
    const src = b.encodeSource('a'); // [CLS] <|source|> a [SEP]: 4 tokens, 8 unused
    expect(src).toHaveLength(4);
    expect(b.candidateBudget(4)).toBe(5 + 4);
    expect(b.candidateBudget(12)).toBe(5);
    expect(b.candidateBudget(11)).toBe(5); // floor(1 / 2) = 0
    const long = 'a b c d e f g a b c d e f g';
    const x = b.build({ prompt: 'a', candidate1: long, candidate2: 'b' });
    const c1 = x.inputIds.slice(x.candidate1Index - 1, x.candidate2Index - 1);
    expect(c1).toEqual([ids.cls, ids.candidate1, ...enc(long).slice(0, 9 - 3), ids.sep]);
    // With a full source the candidates get exactly maxCandidateTokens.
    const y = b.build({ prompt: long, candidate1: long, candidate2: long });
    expect(y.candidate1Index - 1).toBe(12);
    expect(y.inputIds).toHaveLength(12 + 5 + 5);
  });

  it('replaces literal [SEP] text (and marker text) in the inputs by a space', () => {
    const b = createPairRMInputBuilder({ tokenizer, tokens, maxSourceTokens: 64, maxCandidateTokens: 32 });
    const x = b.build({ prompt: 'hello[SEP]world', candidate1: 'a<|candidate2|>b', candidate2: '<|source|>' });
    expect(x.inputIds.filter((t) => t === ids.sep)).toHaveLength(3);
    expect(x.inputIds.filter((t) => t === ids.source)).toHaveLength(1);
    expect(x.inputIds.filter((t) => t === ids.candidate2)).toHaveLength(1);
    expect(x.inputIds.slice(2, x.candidate1Index - 2)).toEqual(enc('hello world'));
    expect(x.inputIds.slice(x.candidate1Index + 1, x.candidate2Index - 2)).toEqual(enc('a b'));
  });

  it('buildBatch equals build per example (tokenizing each prompt and response once)', () => {
    const b = createPairRMInputBuilder({ tokenizer, tokens, maxSourceTokens: 10, maxCandidateTokens: 6 });
    const examples = [
      { prompt: 'hello', candidate1: 'a b c d e f g', candidate2: 'world' },
      { prompt: 'hello', candidate1: 'world', candidate2: 'a b c d e f g' },
      { prompt: 'a b c d e f g a b', candidate1: 'world', candidate2: 'a' },
    ];
    expect(b.buildBatch(examples)).toEqual(examples.map((e) => b.build(e)));
  });

  it('rejects budgets that cannot hold [CLS], the marker and [SEP]', () => {
    expect(() => createPairRMInputBuilder({ tokenizer, tokens, maxSourceTokens: 2 })).toThrow(/maxSourceTokens must be an integer >= 3/);
  });
});

describe('collatePairwiseInputs', () => {
  it('right-pads with the pad id and masks the padding', () => {
    const batch = collatePairwiseInputs(
      [
        { inputIds: [5, 6, 7], sourceIndex: 0, candidate1Index: 1, candidate2Index: 2 },
        { inputIds: [8], sourceIndex: 0, candidate1Index: 0, candidate2Index: 0 },
      ],
      { padId: 2, batchSize: 3 },
    );
    expect(batch.seqLen).toBe(3);
    expect([...batch.inputIds]).toEqual([5n, 6n, 7n, 8n, 2n, 2n, 2n, 2n, 2n]);
    expect([...batch.attentionMask]).toEqual([1n, 1n, 1n, 1n, 0n, 0n, 0n, 0n, 0n]);
  });
});
