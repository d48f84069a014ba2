/**
 * Rows -> token ids for training and scoring, and padded batches in shape buckets.
 *
 * Follows TRL 0.8/0.9 `DPOTrainer.tokenize_row` as the official SPPO code runs it
 * (SPPO-REFERENCE 2.3), generalised from (chosen, rejected) to K responses, minus the quirks:
 * - prompt and response are split by the chat template with the generation prompt on the prompt
 *   side (chat-template.ts), so no assistant header is trained on;
 * - the templated text already holds the BOS text, so nothing is prepended (no doubled BOS) and no
 *   EOS is appended (the template's end-of-turn marker ends the response);
 * - when the prompt is cut from the left, its leading BOS is kept (TRL drops it with the cut).
 */
import {
  DEFAULT_CHAT_TEMPLATE,
  splitPromptAndResponse,
  type ChatMessage,
  type PromptResponseSplit,
} from './chat-template.ts';
import type { LoadedTokenizer } from './tokenizer.ts';
import { endOfTurnToken } from './tokenizer-stops.ts';

export interface TruncationOptions {
  /** Longest prompt + response (TRL max_length, official 1024). */
  maxLength?: number;
  /** Longest prompt once truncation kicks in (TRL max_prompt_length, official 512). */
  maxPromptLength?: number;
  /** When set and the prompt starts with it, left truncation keeps this id in front. */
  bosId?: number;
}

export interface TruncatedRow {
  promptIds: number[];
  responseIds: number[][];
  promptTruncated: boolean;
  responsesTruncated: boolean[];
}

/**
 * TRL's rule with truncation_mode keep_end: if prompt + longest response > maxLength, the prompt
 * keeps its last maxPromptLength tokens; if prompt + longest response is still > maxLength, every
 * response keeps its first maxLength - maxPromptLength tokens.
 */
export function truncatePromptAndResponses(
  promptIds: readonly number[],
  responseIds: readonly (readonly number[])[],
  { maxLength = 1024, maxPromptLength = 512, bosId }: TruncationOptions = {},
): TruncatedRow {
  if (!Number.isInteger(maxLength) || !Number.isInteger(maxPromptLength) || maxPromptLength < 1 || maxPromptLength >= maxLength) {
    throw new Error(
      `Truncation needs integers 1 <= max_prompt_length < max_length, got max_prompt_length ${maxPromptLength}, ` +
        `max_length ${maxLength}`,
    );
  }
  const longest = Math.max(0, ...responseIds.map((r) => r.length));
  let prompt = [...promptIds];
  let promptTruncated = false;
  if (prompt.length + longest > maxLength && prompt.length > maxPromptLength) {
    const keepBos = bosId !== undefined && prompt[0] === bosId;
    prompt = keepBos ? [bosId, ...prompt.slice(prompt.length - (maxPromptLength - 1))] : prompt.slice(-maxPromptLength);
    promptTruncated = true;
  }
  // TRL compares against the longest response's original length, so all responses are cut alike.
  const cut = prompt.length + longest > maxLength;
  const limit = maxLength - maxPromptLength;
  const responses = responseIds.map((r) => (cut ? r.slice(0, limit) : [...r]));
  return {
    promptIds: prompt,
    responseIds: responses,
    promptTruncated,
    responsesTruncated: responseIds.map((r, i) => (responses[i] as number[]).length < r.length),
  };
}

export interface TokenizeRowOptions extends TruncationOptions {
  tokenizer: LoadedTokenizer;
  /** Defaults to the tokenizer's chat template, else DEFAULT_CHAT_TEMPLATE. */
  chatTemplate?: string;
}

/**
 * Templates and tokenizes one prompt with its responses: prompt ids (ending with the generation
 * prompt) and, per response, its ids (ending with the end-of-turn marker), then truncates.
 */
export function tokenizeRow(
  prompt: string | readonly ChatMessage[],
  responses: readonly string[],
  { tokenizer, chatTemplate, maxLength, maxPromptLength, bosId = tokenizer.hasBos ? tokenizer.bosId : undefined }: TokenizeRowOptions,
): TruncatedRow {
  if (responses.length === 0) throw new Error('tokenizeRow: a row needs at least one response');
  const template = chatTemplate ?? tokenizer.chatTemplate ?? DEFAULT_CHAT_TEMPLATE;
  const eot = endOfTurnToken(tokenizer, template);
  const render = { bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken, padToken: tokenizer.padToken, ...(eot ? { endOfTurn: eot.token } : {}) };
  const splits = responses.map((response) => splitPromptAndResponse(template, prompt, response, render));
  const encode = (text: string): number[] => tokenizer.encode(text, { addSpecialTokens: false });
  const promptIds = encode((splits[0] as PromptResponseSplit).prompt);
  // The response ids are the tail of the whole conversation's ids, as TRL's build_tokenized_answer
  // takes them: a SentencePiece tokenizer (Llama-2, Mistral) would give a response encoded alone a
  // leading "▁" it does not have after "[/INST]". When the prompt's ids are not a prefix of the
  // whole (a merge across the boundary), the response is encoded alone.
  const responseIds = splits.map((split) => {
    const full = encode(split.full);
    const isPrefix = full.length >= promptIds.length && promptIds.every((id, i) => full[i] === id);
    return isPrefix ? full.slice(promptIds.length) : encode(split.response);
  });
  const options: TruncationOptions = { bosId };
  if (maxLength !== undefined) options.maxLength = maxLength;
  if (maxPromptLength !== undefined) options.maxPromptLength = maxPromptLength;
  return truncatePromptAndResponses(promptIds, responseIds, options);
}

export interface BucketOptions {
  /** Round up to a multiple of this (default 16). */
  multiple?: number;
  /** Round up to a power of two (at least `multiple`) instead. */
  powerOfTwo?: boolean;
  /** Never exceed this (the bucket is capped; longer input is an error). */
  maxLength?: number;
}

/** The bucketed length for a longest sequence of `length` tokens. */
export function bucketLength(length: number, { multiple = 16, powerOfTwo = false, maxLength }: BucketOptions = {}): number {
  if (maxLength !== undefined && length > maxLength) {
    throw new Error(`A sequence of ${length} tokens exceeds max_length ${maxLength}: truncate rows first (tokenizeRow)`);
  }
  let n = Math.max(1, length);
  if (powerOfTwo) {
    let p = Math.max(1, multiple);
    while (p < n) p *= 2;
    n = p;
  } else n = Math.ceil(n / multiple) * multiple;
  return maxLength === undefined ? n : Math.min(n, maxLength);
}

export interface SequenceInput {
  promptIds: readonly number[];
  responseIds: readonly number[];
}

/** A right-padded batch, row-major [batchSize, seqLen], ready as ONNX int64 tensors. */
export interface SequenceBatch {
  batchSize: number;
  seqLen: number;
  inputIds: BigInt64Array;
  /** 1 = real token, 0 = padding. */
  attentionMask: BigInt64Array;
  /** 1 where the token is a response token whose log-prob counts (TRL: labels != -100). */
  responseMask: BigInt64Array;
  /** cumsum(attention_mask) - 1, padding set to 1 (HF / transformers.js convention). */
  positionIds: BigInt64Array;
  /** 1 for the given rows, 0 for filler rows added to reach a fixed batch size. */
  rowMask: Float32Array;
  /** Number of given rows (the first `rows` of the batch). */
  rows: number;
}

export interface CollateOptions extends BucketOptions {
  padId: number;
  /** Pad the batch with filler rows up to this many (a static batch shape). */
  batchSize?: number;
  /** Force this sequence length instead of bucketing the longest row. */
  seqLen?: number;
}

/**
 * Concatenates prompt + response per row and right-pads (as TRL's concatenated forward does) to a
 * bucketed length. Filler rows hold one attended pad token and no response, so they score 0 and
 * no attention row is fully masked.
 */
export function collateSequences(
  sequences: readonly SequenceInput[],
  { padId, batchSize = sequences.length, seqLen, ...bucket }: CollateOptions,
): SequenceBatch {
  if (sequences.length === 0) throw new Error('collateSequences: the batch is empty');
  if (batchSize < sequences.length) {
    throw new Error(`collateSequences: ${sequences.length} rows do not fit batchSize ${batchSize}`);
  }
  const longest = Math.max(...sequences.map((s) => s.promptIds.length + s.responseIds.length));
  const T = seqLen ?? bucketLength(longest, bucket);
  if (longest > T) throw new Error(`collateSequences: a row of ${longest} tokens does not fit seqLen ${T}`);
  const n = batchSize * T;
  const inputIds = new BigInt64Array(n).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(n);
  const responseMask = new BigInt64Array(n);
  const positionIds = new BigInt64Array(n).fill(1n);
  const rowMask = new Float32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    const row = b * T;
    const s = sequences[b];
    if (s === undefined) {
      attentionMask[row] = 1n;
      positionIds[row] = 0n;
      continue;
    }
    rowMask[b] = 1;
    const ids = [...s.promptIds, ...s.responseIds];
    for (let t = 0; t < ids.length; t++) {
      inputIds[row + t] = BigInt(ids[t] as number);
      attentionMask[row + t] = 1n;
      positionIds[row + t] = BigInt(t);
      if (t >= s.promptIds.length) responseMask[row + t] = 1n;
    }
  }
  return { batchSize, seqLen: T, inputIds, attentionMask, responseMask, positionIds, rowMask, rows: sequences.length };
}
