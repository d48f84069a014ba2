/**
 * Text examples -> token examples with the chat template, prompt and responses split by
 * packages/model's tokenizeRow, truncated as TRL's DPO tokenizer does (SPPO-REFERENCE 2.3):
 * when prompt + longest response > max_length the prompt keeps max_prompt_length tokens
 * (its end with truncation_mode keep_end, official; its start with keep_start), then the responses
 * keep max_length - max_prompt_length tokens (or max_completion_length when set).
 */
import type { TrainingArgs } from '@sppo/core';
import { tokenizeRow, truncatePromptAndResponses, type TruncatedRow } from '../tokenize.ts';
import type { LoadedTokenizer } from '../tokenizer.ts';
import type { PairTextExample, ResponseTextExample, SftTextExample, TextPrompt } from './rows.ts';

export interface SftTokens {
  promptIds: number[];
  responseIds: number[];
}

export interface PairTokens {
  promptIds: number[];
  chosenIds: number[];
  rejectedIds: number[];
  chosenProbs: number;
  chosenProbsWin: number;
  chosenProbsLose: number;
}

export interface ResponseTokens {
  promptIds: number[];
  responseIds: number[];
  winRate: number;
}

/** What a training run consumes: one kind of example, tokenized. */
export type TrainingData =
  | { kind: 'sft'; examples: SftTokens[] }
  | { kind: 'pair'; examples: PairTokens[] }
  | { kind: 'response'; examples: ResponseTokens[] };

export interface TruncationStats {
  examples: number;
  truncatedPrompts: number;
  truncatedResponses: number;
}

export type TokenizeArgs = Pick<TrainingArgs, 'max_length' | 'max_prompt_length' | 'max_completion_length' | 'truncation_mode'>;

export interface TokenizeExamplesOptions {
  tokenizer: LoadedTokenizer;
  args: TokenizeArgs;
  /** Overrides the tokenizer's chat template (run config `chat_template`). */
  chatTemplate?: string;
}

/** Tokenizes one prompt with its responses and applies the truncation rule of `args`. */
export function tokenizeForTraining(prompt: TextPrompt, responses: readonly string[], { tokenizer, args, chatTemplate }: TokenizeExamplesOptions): TruncatedRow {
  const template = chatTemplate === undefined ? {} : { chatTemplate };
  let row: TruncatedRow;
  if (args.truncation_mode === 'keep_end') {
    row = tokenizeRow(prompt, responses, { tokenizer, ...template, maxLength: args.max_length, maxPromptLength: args.max_prompt_length });
  } else {
    // keep_start: the same rule with the prompt's first tokens kept (TRL truncation_mode='keep_start').
    const full = tokenizeRow(prompt, responses, { tokenizer, ...template, maxLength: Number.MAX_SAFE_INTEGER, maxPromptLength: 1 });
    const longest = Math.max(...full.responseIds.map((r) => r.length));
    const cutPrompt = full.promptIds.length + longest > args.max_length && full.promptIds.length > args.max_prompt_length;
    const promptIds = cutPrompt ? full.promptIds.slice(0, args.max_prompt_length) : full.promptIds;
    row = truncatePromptAndResponses(promptIds, full.responseIds, { maxLength: args.max_length, maxPromptLength: args.max_prompt_length });
    row.promptTruncated = cutPrompt;
  }
  const limit = args.max_completion_length;
  if (limit !== undefined) {
    row.responseIds = row.responseIds.map((r, i) => {
      if (r.length > limit) row.responsesTruncated[i] = true;
      return r.slice(0, limit);
    });
  }
  return row;
}

function count(rows: TruncatedRow[]): TruncationStats {
  return {
    examples: rows.length,
    truncatedPrompts: rows.filter((r) => r.promptTruncated).length,
    truncatedResponses: rows.reduce((n, r) => n + r.responsesTruncated.filter(Boolean).length, 0),
  };
}

export function tokenizeSftExamples(examples: readonly SftTextExample[], options: TokenizeExamplesOptions): { data: TrainingData; stats: TruncationStats } {
  const rows = examples.map((e) => tokenizeForTraining(e.prompt, [e.response], options));
  return {
    data: { kind: 'sft', examples: rows.map((r) => ({ promptIds: r.promptIds, responseIds: r.responseIds[0] as number[] })) },
    stats: count(rows),
  };
}

export function tokenizePairExamples(examples: readonly PairTextExample[], options: TokenizeExamplesOptions): { data: TrainingData; stats: TruncationStats } {
  // Chosen and rejected are truncated together (TRL compares the longer of the two).
  const rows = examples.map((e) => tokenizeForTraining(e.prompt, [e.chosen, e.rejected], options));
  return {
    data: {
      kind: 'pair',
      examples: rows.map((r, i) => {
        const e = examples[i] as PairTextExample;
        return {
          promptIds: r.promptIds,
          chosenIds: r.responseIds[0] as number[],
          rejectedIds: r.responseIds[1] as number[],
          chosenProbs: e.chosenProbs,
          chosenProbsWin: e.chosenProbsWin,
          chosenProbsLose: e.chosenProbsLose,
        };
      }),
    },
    stats: count(rows),
  };
}

export function tokenizeResponseExamples(examples: readonly ResponseTextExample[], options: TokenizeExamplesOptions): { data: TrainingData; stats: TruncationStats } {
  const rows = examples.map((e) => tokenizeForTraining(e.prompt, [e.response], options));
  return {
    data: {
      kind: 'response',
      examples: rows.map((r, i) => ({ promptIds: r.promptIds, responseIds: r.responseIds[0] as number[], winRate: (examples[i] as ResponseTextExample).winRate })),
    },
    stats: count(rows),
  };
}
