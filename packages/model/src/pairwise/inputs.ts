/**
 * PairRM's input format, built exactly as llm-blender builds it (SPPO-REFERENCE 3.2-3.3;
 * llm_blender/pair_ranker/collator.py `CrossCompareCollator`, ranker.py `cat_ids` / `_forward`):
 *
 *   [CLS] <|source|> src [SEP] [CLS] <|candidate1|> c1 [SEP] [CLS] <|candidate2|> c2 [SEP] (padding)
 *
 * - the source is "<|source|>" + prompt and each candidate "<|candidate|>" + text; any literal SEP
 *   text is replaced by a space (collator), then each is tokenized on its own with [CLS] ... [SEP];
 * - the source is truncated to `maxSourceTokens` tokens, specials included (HF right truncation:
 *   the start is kept); the unused source budget is split between the two candidates, each getting
 *   up to `maxCandidateTokens + floor((maxSourceTokens - sourceLength) / 2)` tokens;
 * - the generic <|candidate|> id becomes <|candidate1|> in the first and <|candidate2|> in the
 *   second candidate (ranker.py `_forward`), and the three parts are concatenated, padding last.
 *
 * Budget per prompt: upstream measures the longest source of the collated batch; SPPO ranks with
 * `batch_size=1` (scripts/rank.py), i.e. one prompt per batch, which is what we do for every pair,
 * so the tokens a pair sees never depend on how pairs are batched.
 *
 * One deliberate difference: the marker texts themselves (<|source|>, ...) are also replaced by a
 * space inside user text. Upstream would tokenize them as markers and its `torch.where` lookup
 * would then find two positions in one row and fail; here each row has exactly one of each.
 */
import type { PairwiseExample } from './types.ts';

export const PAIRRM_MARKERS = {
  source: '<|source|>',
  candidate1: '<|candidate1|>',
  candidate2: '<|candidate2|>',
  candidate: '<|candidate|>',
} as const;

/** PairRM's context lengths (HF llm-blender/PairRM config: source 1224, candidate 412, total 2048). */
export const PAIRRM_MAX_SOURCE_TOKENS = 1224;
export const PAIRRM_MAX_CANDIDATE_TOKENS = 412;

/** What input building needs from a tokenizer (a `LoadedTokenizer` has it). */
export interface PairwiseTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  tokenToId(token: string): number | undefined;
}

export interface PairRMTokenIds {
  cls: number;
  sep: number;
  pad: number;
  source: number;
  candidate: number;
  candidate1: number;
  candidate2: number;
}

export interface PairRMTokens {
  ids: PairRMTokenIds;
  /** The SEP token's text, replaced by a space in inputs (collator). */
  sepText: string;
}

export interface ResolveTokensInput extends PairwiseTokenizer {
  bosToken: string;
  eosToken: string;
  padId: number;
  tokenizerConfig: Readonly<Record<string, unknown>>;
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/**
 * The ids of PairRM's tokens in a tokenizer. CLS / SEP: the config's cls_token / sep_token
 * (DeBERTa), else `[CLS]` / `[SEP]` when in the vocabulary, else BOS / EOS, as the collator falls
 * back (`tokenizer.sep_token or tokenizer.eos_token`).
 */
export function resolvePairRMTokens(tokenizer: ResolveTokensInput): PairRMTokens {
  const missing: string[] = [];
  const idOf = (text: string): number => {
    const id = tokenizer.tokenToId(text);
    if (id === undefined) missing.push(text);
    return id ?? -1;
  };
  const pick = (configured: unknown, conventional: string, fallback: string): string =>
    tokenText(configured) ?? (tokenizer.tokenToId(conventional) !== undefined ? conventional : fallback);
  const clsText = pick(tokenizer.tokenizerConfig['cls_token'], '[CLS]', tokenizer.bosToken);
  const sepText = pick(tokenizer.tokenizerConfig['sep_token'], '[SEP]', tokenizer.eosToken);
  const ids: PairRMTokenIds = {
    cls: idOf(clsText),
    sep: idOf(sepText),
    pad: tokenizer.padId,
    source: idOf(PAIRRM_MARKERS.source),
    candidate: idOf(PAIRRM_MARKERS.candidate),
    candidate1: idOf(PAIRRM_MARKERS.candidate1),
    candidate2: idOf(PAIRRM_MARKERS.candidate2),
  };
  if (missing.length > 0) {
    throw new Error(
      `The judge tokenizer has no token for ${missing.join(', ')}. A PairRM-style tokenizer needs ${Object.values(PAIRRM_MARKERS).join(', ')} ` +
        `as added special tokens (llm-blender adds them with tokenizer.add_tokens); train one with trainBpeTokenizer({ extraSpecialTokens: JUDGE_SPECIAL_TOKENS }).`,
    );
  }
  return { ids, sepText };
}

/** One tokenized comparison; the three indices point at the marker tokens. */
export interface PairwiseInput {
  inputIds: number[];
  sourceIndex: number;
  candidate1Index: number;
  candidate2Index: number;
}

export interface PairRMInputOptions {
  tokenizer: PairwiseTokenizer;
  tokens: PairRMTokens;
  maxSourceTokens?: number;
  maxCandidateTokens?: number;
}

export interface PairRMInputBuilder {
  readonly maxSourceTokens: number;
  readonly maxCandidateTokens: number;
  /** [CLS] <|source|> prompt... [SEP], at most maxSourceTokens long. */
  encodeSource(prompt: string): number[];
  /** Token budget of each candidate given the source's length. */
  candidateBudget(sourceLength: number): number;
  /** [CLS] <|candidate{which}|> text... [SEP], at most `budget` long. */
  encodeCandidate(text: string, which: 1 | 2, budget: number): number[];
  build(example: PairwiseExample): PairwiseInput;
  /** Builds many, tokenizing each distinct prompt and (response, budget) once. */
  buildBatch(examples: readonly PairwiseExample[]): PairwiseInput[];
}

export function createPairRMInputBuilder({
  tokenizer,
  tokens,
  maxSourceTokens = PAIRRM_MAX_SOURCE_TOKENS,
  maxCandidateTokens = PAIRRM_MAX_CANDIDATE_TOKENS,
}: PairRMInputOptions): PairRMInputBuilder {
  for (const [name, value] of [['maxSourceTokens', maxSourceTokens], ['maxCandidateTokens', maxCandidateTokens]] as const) {
    if (!Number.isInteger(value) || value < 3) {
      throw new Error(`${name} must be an integer >= 3 ([CLS], the marker and [SEP] need 3 tokens), got ${value}`);
    }
  }
  const { ids, sepText } = tokens;
  const banned = [sepText, ...Object.values(PAIRRM_MARKERS)].filter((t) => t.length > 0);
  const clean = (text: string): string => banned.reduce((s, t) => s.split(t).join(' '), text);
  // HF truncation=True, max_length=M on one sequence keeps the first M - 2 tokens, then adds [CLS] / [SEP].
  const wrap = (marker: number, text: string, max: number): number[] => {
    const body = tokenizer.encode(clean(text), { addSpecialTokens: false });
    return [ids.cls, marker, ...body.slice(0, max - 3), ids.sep];
  };
  const encodeSource = (prompt: string): number[] => wrap(ids.source, prompt, maxSourceTokens);
  const candidateBudget = (sourceLength: number): number => maxCandidateTokens + Math.floor(Math.max(0, maxSourceTokens - sourceLength) / 2);
  const encodeCandidate = (text: string, which: 1 | 2, budget: number): number[] => wrap(which === 1 ? ids.candidate1 : ids.candidate2, text, budget);
  const assemble = (src: number[], c1: number[], c2: number[]): PairwiseInput => ({
    inputIds: [...src, ...c1, ...c2],
    sourceIndex: 1,
    candidate1Index: src.length + 1,
    candidate2Index: src.length + c1.length + 1,
  });
  const build = (example: PairwiseExample): PairwiseInput => {
    const src = encodeSource(example.prompt);
    const budget = candidateBudget(src.length);
    return assemble(src, encodeCandidate(example.candidate1, 1, budget), encodeCandidate(example.candidate2, 2, budget));
  };
  const buildBatch = (examples: readonly PairwiseExample[]): PairwiseInput[] => {
    const sources = new Map<string, number[]>();
    const bodies = new Map<string, number[]>();
    const candidate = (text: string, which: 1 | 2, budget: number): number[] => {
      const key = `${budget}\u0000${text}`;
      let body = bodies.get(key);
      if (body === undefined) bodies.set(key, (body = encodeCandidate(text, 1, budget)));
      return which === 1 ? body : body.map((id, i) => (i === 1 ? ids.candidate2 : id));
    };
    return examples.map(({ prompt, candidate1, candidate2 }) => {
      let src = sources.get(prompt);
      if (src === undefined) sources.set(prompt, (src = encodeSource(prompt)));
      const budget = candidateBudget(src.length);
      return assemble(src, candidate(candidate1, 1, budget), candidate(candidate2, 2, budget));
    });
  };
  return { maxSourceTokens, maxCandidateTokens, encodeSource, candidateBudget, encodeCandidate, build, buildBatch };
}

/** A right-padded int64 batch [batchSize, seqLen] (PairRM moves padding to the end). */
export interface PairwiseBatch {
  batchSize: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** Number of given rows; rows after them are all-padding filler. */
  rows: number;
}

export function collatePairwiseInputs(
  inputs: readonly PairwiseInput[],
  { padId, seqLen, batchSize = inputs.length }: { padId: number; seqLen?: number; batchSize?: number },
): PairwiseBatch {
  if (inputs.length === 0) throw new Error('collatePairwiseInputs: the batch is empty');
  if (batchSize < inputs.length) throw new Error(`collatePairwiseInputs: ${inputs.length} rows do not fit batchSize ${batchSize}`);
  const longest = Math.max(...inputs.map((x) => x.inputIds.length));
  const T = seqLen ?? longest;
  if (longest > T) throw new Error(`collatePairwiseInputs: a row of ${longest} tokens does not fit seqLen ${T}`);
  const inputIds = new BigInt64Array(batchSize * T).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batchSize * T);
  inputs.forEach((x, b) => {
    x.inputIds.forEach((id, t) => {
      inputIds[b * T + t] = BigInt(id);
      attentionMask[b * T + t] = 1n;
    });
  });
  return { batchSize, seqLen: T, inputIds, attentionMask, rows: inputs.length };
}
