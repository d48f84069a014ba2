import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticCorpus } from './synthetic-corpus.ts';
import { createTokenizer, loadTokenizer } from './tokenizer.ts';
import {
  BYTE_LEVEL_PATTERN,
  BYTE_TO_CHAR,
  DEFAULT_SPECIAL_TOKENS,
  JUDGE_SPECIAL_TOKENS,
  trainBpeTokenizer,
} from './tokenizer-train.ts';

const corpus = syntheticCorpus({ documents: 3000 });
const trained = trainBpeTokenizer({ corpus, vocabSize: 512, extraSpecialTokens: JUDGE_SPECIAL_TOKENS });
const tok = createTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Textbook BPE (recount every pair after every merge) to check the incremental trainer against. */
function naiveMerges(texts: string[], specials: number, merges: number, minFrequency: number): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const m of t.matchAll(BYTE_LEVEL_PATTERN)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  const vocab = [...new Array<string>(specials).fill('?'), ...BYTE_TO_CHAR];
  const words = [...counts].map(([w, f]) => ({ ids: Array.from(new TextEncoder().encode(w), (b) => specials + b), f }));
  const out: string[] = [];
  for (let m = 0; m < merges; m++) {
    const pairs = new Map<string, number>();
    for (const { ids, f } of words) for (let i = 0; i + 1 < ids.length; i++) pairs.set(`${ids[i]},${ids[i + 1]}`, (pairs.get(`${ids[i]},${ids[i + 1]}`) ?? 0) + f);
    let best: [number, number, number] | undefined;
    for (const [k, c] of pairs) {
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (!best || c > best[2] || (c === best[2] && (a < best[0] || (a === best[0] && b < best[1])))) best = [a, b, c];
    }
    if (!best || best[2] < minFrequency) break;
    const [a, b] = best;
    const token = `${vocab[a]}${vocab[b]}`;
    let id = vocab.indexOf(token);
    if (id < 0) id = vocab.push(token) - 1;
    out.push(`${vocab[a]} ${vocab[b]}`);
    for (const w of words) {
      const next: number[] = [];
      for (let i = 0; i < w.ids.length; i++) {
        if (w.ids[i] === a && w.ids[i + 1] === b) {
          next.push(id);
          i++;
        } else next.push(w.ids[i] as number);
      }
      w.ids = next;
    }
  }
  return out;
}

describe('trainBpeTokenizer', () => {
  it('trains a 512-token vocabulary on a few hundred KB in well under a second', () => {
    const text = corpus.join('\n');
    expect(text.length).toBeGreaterThan(300_000);
    const t0 = performance.now();
    const again = trainBpeTokenizer({ corpus, vocabSize: 512 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(Object.keys(again.tokenizerJson.model.vocab as object)).toHaveLength(512);
    expect(tok.vocabSize).toBe(512);
  });

  it('merges exactly as textbook BPE does (same order, same tie-breaking)', () => {
    const small = syntheticCorpus({ documents: 200, seed: 5 });
    const ours = trainBpeTokenizer({ corpus: small, vocabSize: 7 + 256 + 120, specialTokens: { ...DEFAULT_SPECIAL_TOKENS } });
    expect(ours.tokenizerJson.model.merges).toEqual(naiveMerges(small, 7, 120, 2));
  });

  it('is deterministic', () => {
    expect(JSON.stringify(trainBpeTokenizer({ corpus, vocabSize: 512, extraSpecialTokens: JUDGE_SPECIAL_TOKENS }))).toBe(
      JSON.stringify(trained),
    );
  });

  it('writes the HF tokenizer.json layout', () => {
    const j = trained.tokenizerJson;
    expect(j.version).toBe('1.0');
    expect(j.pre_tokenizer).toEqual({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true });
    expect((j.decoder as { type: string }).type).toBe('ByteLevel');
    expect(j.model.type).toBe('BPE');
    const vocab = j.model.vocab as Record<string, number>;
    for (const merge of j.model.merges as string[]) {
      const [a, b] = merge.split(' ') as [string, string];
      expect(vocab[a]).toBeTypeOf('number');
      expect(vocab[a + b]).toBeTypeOf('number');
    }
    expect(j.added_tokens.map((t) => t.content)).toEqual([
      '<|begin_of_text|>', '<|end_of_text|>', '<|pad|>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>', ...JUDGE_SPECIAL_TOKENS,
    ]);
    expect(j.added_tokens.every((t, i) => t.id === i && t.special && !t.normalized && vocab[t.content] === i)).toBe(true);
    expect(trained.tokenizerConfig).toMatchObject({
      bos_token: '<|begin_of_text|>',
      eos_token: '<|end_of_text|>',
      pad_token: '<|pad|>',
      tokenizer_class: 'PreTrainedTokenizerFast',
      clean_up_tokenization_spaces: false,
    });
    expect(trained.tokenizerConfig.added_tokens_decoder?.['4']?.content).toBe('<|user|>');
  });

  it('refuses a vocabulary too small for the bytes and duplicate special tokens', () => {
    expect(() => trainBpeTokenizer({ corpus, vocabSize: 200 })).toThrow(/vocabSize must be an integer in \[263,/);
    expect(() => trainBpeTokenizer({ corpus, extraSpecialTokens: ['<|user|>'] })).toThrow(/"<\|user\|>" is listed twice/);
  });

  it('with addPrefixSpace, gives a word that opens a text (or follows a special token) its in-sentence id, as PairRM judges need', () => {
    const texts = ['Which is not a fruit: pear, owl or plum?', 'owl.', 'The answer is owl.', 'owl! Happy to help.'];
    const corpus = Array.from({ length: 20 }, () => texts).flat();
    const plain = trainBpeTokenizer({ corpus, vocabSize: 320, extraSpecialTokens: JUDGE_SPECIAL_TOKENS });
    const prefixed = trainBpeTokenizer({ corpus, vocabSize: 320, extraSpecialTokens: JUDGE_SPECIAL_TOKENS, addPrefixSpace: true });
    expect(prefixed.tokenizerJson.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: true });
    const ids = (t: typeof plain, text: string): number[] => createTokenizer(t.tokenizerJson, t.tokenizerConfig).encode(text, { addSpecialTokens: false });
    const owlIn = (t: typeof plain): number => ids(t, 'The answer is owl.')[3] as number;
    // Without it "owl" at the start of a candidate is another token than " owl" inside the prompt.
    expect(ids(plain, '<|candidate|>owl.')[1]).not.toBe(owlIn(plain));
    expect(ids(prefixed, '<|candidate|>owl.')[1]).toBe(owlIn(prefixed));
    expect(ids(prefixed, 'owl! Happy to help.')[0]).toBe(owlIn(prefixed));
    expect(ids(prefixed, '<|source|>Which is not a fruit: pear, owl or plum?')).toContain(owlIn(prefixed));
  });
});

describe('tokenizer', () => {
  it('round-trips unicode text exactly', () => {
    for (const text of [
      'The cat sees the answer today.',
      'Ünïcödé façade — déjà vu; 東京は大きい。 Привет! 🙂👍🏽 👨‍👩‍👧',
      '  leading and trailing spaces  \n\n\ttabs\r\nand CRLF',
      'e\u0301 (combining) \u0000 NUL \u200b zero-width',
      "It's isn't they'll 3.14159 x=2*(y+1);",
    ]) {
      const ids = tok.encode(text, { addSpecialTokens: false });
      expect(tok.decode(ids)).toBe(text);
      expect(ids.every((id) => !tok.specialIds.has(id))).toBe(true);
    }
  });

  it('compresses text it was trained on', () => {
    const text = 'The teacher explains the question in the morning.';
    expect(tok.encode(text, { addSpecialTokens: false }).length).toBeLessThan(text.length / 2.5);
  });

  it('never splits special tokens, even glued to text', () => {
    const specials = [...DEFAULT_SPECIAL_TOKENS.additional, ...JUDGE_SPECIAL_TOKENS, '<|begin_of_text|>', '<|end_of_text|>', '<|pad|>'];
    for (const s of specials) {
      const id = tok.tokenToId(s) as number;
      expect(tok.encode(s, { addSpecialTokens: false })).toEqual([id]);
      const ids = tok.encode(`abc${s}def`, { addSpecialTokens: false });
      expect(ids).toContain(id);
      expect(tok.decode(ids)).toBe(`abc${s}def`);
    }
    const ids = tok.encode('<|user|>\nHi<|end|><|assistant|>\n', { addSpecialTokens: false });
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('\nHi\n');
  });

  it('prepends BOS only with addSpecialTokens (the HF default)', () => {
    const plain = tok.encode('hello', { addSpecialTokens: false });
    expect(tok.encode('hello')).toEqual([tok.bosId, ...plain]);
    expect(tok.bosId).toBe(0);
    expect(tok.eosId).toBe(1);
    expect(tok.padId).toBe(2);
    expect(tok.decode([])).toBe('');
    expect(tok.decode(BigInt64Array.from(plain.map(BigInt)))).toBe('hello');
  });

  it('loads from a folder, with chat_template.jinja and a missing pad token (falls back to EOS)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sppo-tok-'));
    dirs.push(dir);
    const { chat_template: _, pad_token: __, ...config } = trained.tokenizerConfig;
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(trained.tokenizerJson));
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, bos_token: { content: '<|begin_of_text|>', __type: 'AddedToken' } }));
    await writeFile(join(dir, 'chat_template.jinja'), '{{ bos_token }}{{ messages[0].content }}');
    const loaded = await loadTokenizer(dir);
    expect(loaded.chatTemplate).toBe('{{ bos_token }}{{ messages[0].content }}');
    expect(loaded.padId).toBe(loaded.eosId);
    expect(loaded.bosToken).toBe('<|begin_of_text|>');
    await expect(loadTokenizer(join(dir, 'nope'))).rejects.toThrow(/Cannot read .*tokenizer.json/);
  });

  it('explains a config whose special tokens are not in the vocabulary', () => {
    expect(() => createTokenizer(trained.tokenizerJson, { ...trained.tokenizerConfig, eos_token: '</s>' })).toThrow(
      /eos_token "<\/s>" is not in tokenizer.json's vocabulary/,
    );
  });
});
