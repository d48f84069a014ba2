/**
 * Fixtures of the training tests: a tiny checkpoint the project trains itself (BPE tokenizer on
 * the synthetic corpus + a random-init Llama) and small SFT / triplet rows. Not exported.
 */
import type { PairTripletRow, ResponseTripletRow } from '@sppo/core';
import type { LlamaConfig } from '../config.ts';
import type { Checkpoint } from '../checkpoint.ts';
import { createTokenizer } from '../tokenizer.ts';
import { initializeWeights } from '../init.ts';
import { presetConfig } from '../presets.ts';
import { syntheticCorpus } from '../synthetic-corpus.ts';
import { trainBpeTokenizer } from '../tokenizer-train.ts';

export type TinyModel = Pick<Checkpoint, 'config' | 'weights' | 'tokenizer' | 'tokenizerJson' | 'tokenizerConfig'>;

let cached: TinyModel | undefined;

/** vocab 320, hidden 32, 2 layers, GQA 4/2: a few ms per step. */
export function tinyModel(): TinyModel {
  if (cached) return cached;
  const { tokenizerJson, tokenizerConfig } = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 200 }), vocabSize: 320 });
  const base = presetConfig('tiny', { vocabSize: 320 });
  const config: LlamaConfig = { ...base, hidden_size: 32, intermediate_size: 64, head_dim: 8 };
  cached = { config, weights: initializeWeights(config, { seed: 1 }), tokenizer: createTokenizer(tokenizerJson, tokenizerConfig), tokenizerJson, tokenizerConfig };
  return cached;
}

export function sftRows(n: number, seed = 5): { prompt: string; response: string }[] {
  return syntheticCorpus({ documents: n, seed }).map((d, i) => ({ prompt: `Question ${i % 5}: tell me something`, response: d.slice(0, 48) }));
}

const K2 = { responses: ['a', 'b'], probability: [[0.5, 0.7], [0.3, 0.5]], rm_scores: [1, 0] };

/** Official-style pair rows: chosen/rejected message lists and K-sample win rates. */
export function pairRows(n: number, seed = 9): PairTripletRow[] {
  const docs = syntheticCorpus({ documents: 2 * n, seed });
  return Array.from({ length: n }, (_, i) => {
    const prompt = `Question ${i}: say something`;
    const msg = (content: string) => [
      { role: 'user' as const, content: prompt },
      { role: 'assistant' as const, content },
    ];
    return {
      prompt_id: `p${i}`,
      prompt,
      ...K2,
      chosen: msg((docs[2 * i] as string).slice(0, 40)),
      rejected: msg((docs[2 * i + 1] as string).slice(0, 40)),
      chosen_probs: 0.7,
      chosen_probs_win: 0.62 + 0.01 * (i % 5),
      chosen_probs_lose: 0.38 - 0.01 * (i % 5),
    };
  });
}

/** Selection 'all' rows: one response each with its own win rate. */
export function responseRows(n: number, seed = 13): ResponseTripletRow[] {
  const docs = syntheticCorpus({ documents: n, seed });
  return docs.map((d, i) => ({
    prompt_id: `p${i >> 1}`,
    prompt: `Question ${i >> 1}`,
    ...K2,
    response_index: i % 2,
    response: d.slice(0, 40),
    win_rate: i % 2 === 0 ? 0.7 : 0.3,
  }));
}
