/**
 * Training rows -> text examples. Three kinds:
 * - SFT rows: `{prompt, response}` / `{prompt, completion}` (prompt a string or a message list,
 *   as TRL's prompt-completion format) or `{messages}` ending with the assistant turn;
 * - pair triplets (selection 'extremes', the official columns of compute_prob.py `prepare_score`):
 *   chosen / rejected as message lists [{user}, {assistant}] or strings, with chosen_probs,
 *   chosen_probs_win and chosen_probs_lose;
 * - response triplets (selection 'all'): one response and its own win_rate (Algorithm 1's
 *   (x, y, P-hat(y > pi_t | x))).
 * Every bad row is reported with its position (STYLE guideline 7), as a core ValidationError.
 */
import { isPairTripletRow, ValidationError, type TrainingTripletRow, type ValidationIssue } from '@sppo/core';
import type { ChatMessage } from '../chat-template.ts';

export type TextPrompt = string | ChatMessage[];

export interface SftTextExample {
  prompt: TextPrompt;
  response: string;
}

export interface PairTextExample {
  prompt: TextPrompt;
  chosen: string;
  rejected: string;
  /** P[w][l] (sppo_single). */
  chosenProbs: number;
  /** P-hat(y_w > pi_t) (sppo). */
  chosenProbsWin: number;
  /** P-hat(y_l > pi_t) (sppo). */
  chosenProbsLose: number;
}

export interface ResponseTextExample {
  prompt: TextPrompt;
  response: string;
  winRate: number;
}

export type PreferenceTextData = { kind: 'pair'; examples: PairTextExample[] } | { kind: 'response'; examples: ResponseTextExample[] };

type Completion = string | readonly ChatMessage[];

/** Splits a completion (a string, or an official message list whose last turn is the assistant's). */
function splitCompletion(completion: Completion, fallbackPrompt: string, field: string): { prompt: TextPrompt; response: string } | string {
  if (typeof completion === 'string') return { prompt: fallbackPrompt, response: completion };
  const last = completion[completion.length - 1];
  if (last === undefined || last.role !== 'assistant') {
    return `${field} must end with an assistant message (the response); got ${last === undefined ? 'an empty list' : `a '${last.role}' message last`}`;
  }
  const prompt = completion.slice(0, -1).map((m) => ({ role: m.role, content: m.content }));
  return { prompt: prompt.length === 0 ? fallbackPrompt : prompt, response: last.content };
}

function samePrompt(a: TextPrompt, b: TextPrompt): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function throwIfAny(subject: string, issues: ValidationIssue[], hint: string): void {
  if (issues.length > 0) throw new ValidationError(subject, issues, hint);
}

/**
 * Triplet rows (one round's shards, concatenated) -> pair or response examples. `where(i)` names
 * row i in errors (e.g. "shard=2 line 7"). Throws ValidationError for empty responses, mixed row
 * kinds or pairs whose chosen and rejected prompts differ.
 */
export function preferenceExamplesFromTriplets(rows: readonly TrainingTripletRow[], where: (index: number) => string = (i) => `row ${i + 1}`): PreferenceTextData {
  const issues: ValidationIssue[] = [];
  const pairs: PairTextExample[] = [];
  const responses: ResponseTextExample[] = [];
  rows.forEach((row, i) => {
    const at = where(i);
    // The row schema already bounds the probabilities to [0, 1]; re-check for rows built in code.
    const probs = isPairTripletRow(row) ? { chosen_probs: row.chosen_probs, chosen_probs_win: row.chosen_probs_win, chosen_probs_lose: row.chosen_probs_lose } : { win_rate: row.win_rate };
    for (const [name, p] of Object.entries(probs)) {
      if (!(p >= 0 && p <= 1)) issues.push({ path: `${at}: ${name}`, message: `must be a probability in [0, 1], got ${String(p)}` });
    }
    if (isPairTripletRow(row)) {
      const chosen = splitCompletion(row.chosen, row.prompt, 'chosen');
      const rejected = splitCompletion(row.rejected, row.prompt, 'rejected');
      if (typeof chosen === 'string') issues.push({ path: `${at}: chosen`, message: chosen });
      if (typeof rejected === 'string') issues.push({ path: `${at}: rejected`, message: rejected });
      if (typeof chosen === 'string' || typeof rejected === 'string') return;
      if (!samePrompt(chosen.prompt, rejected.prompt)) {
        issues.push({ path: at, message: 'chosen and rejected have different prompts; a pair must answer the same prompt' });
      }
      if (chosen.response.trim() === '') issues.push({ path: `${at}: chosen`, message: 'the chosen response is empty; drop the row or regenerate it' });
      if (rejected.response.trim() === '') issues.push({ path: `${at}: rejected`, message: 'the rejected response is empty; drop the row or regenerate it' });
      pairs.push({
        prompt: chosen.prompt,
        chosen: chosen.response,
        rejected: rejected.response,
        chosenProbs: row.chosen_probs,
        chosenProbsWin: row.chosen_probs_win,
        chosenProbsLose: row.chosen_probs_lose,
      });
    } else {
      const split = splitCompletion(row.response, row.prompt, 'response');
      if (typeof split === 'string') {
        issues.push({ path: `${at}: response`, message: split });
        return;
      }
      if (split.response.trim() === '') issues.push({ path: `${at}: response`, message: 'the response is empty; drop the row or regenerate it' });
      responses.push({ prompt: split.prompt, response: split.response, winRate: row.win_rate });
    }
  });
  if (pairs.length > 0 && responses.length > 0) {
    issues.push({
      path: '(rows)',
      message: `${pairs.length} pair rows (selection 'extremes') and ${responses.length} response rows (selection 'all') are mixed; one round's triplets must use one selection`,
    });
  }
  if (rows.length === 0) issues.push({ path: '(rows)', message: 'no triplet rows: a round needs at least one row to train on' });
  throwIfAny('triplet rows', issues, 'Fix or drop the rows listed above (triplet shards are written by the judge; see ARCHITECTURE 3.3).');
  return pairs.length > 0 ? { kind: 'pair', examples: pairs } : { kind: 'response', examples: responses };
}

const isMessage = (m: unknown): m is ChatMessage =>
  typeof m === 'object' && m !== null && typeof (m as ChatMessage).role === 'string' && typeof (m as ChatMessage).content === 'string';

/**
 * SFT rows -> examples. Accepted shapes (TRL SFT dataset formats): `{prompt, response}`,
 * `{prompt, completion}` (prompt: string or messages; completion: string or messages ending with
 * the assistant turn) and conversational `{messages}` (the last assistant turn is the response).
 */
export function sftExamplesFromRows(rows: readonly unknown[], where: (index: number) => string = (i) => `line ${i + 1}`): SftTextExample[] {
  const issues: ValidationIssue[] = [];
  const examples: SftTextExample[] = [];
  rows.forEach((raw, i) => {
    const at = where(i);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      issues.push({ path: at, message: 'a row must be a JSON object' });
      return;
    }
    const row = raw as Record<string, unknown>;
    let example: SftTextExample | string;
    if (Array.isArray(row.messages)) {
      const msgs = row.messages as unknown[];
      if (!msgs.every(isMessage)) example = 'messages must be {role, content} objects with string fields';
      else {
        const split = splitCompletion(msgs, '', 'messages');
        example = typeof split === 'string' ? split : split.prompt === '' ? 'messages need at least one turn before the assistant response' : split;
      }
    } else {
      const prompt = row.prompt;
      const completion = row.response ?? row.completion;
      const promptOk = typeof prompt === 'string' || (Array.isArray(prompt) && prompt.length > 0 && prompt.every(isMessage));
      const completionOk = typeof completion === 'string' || (Array.isArray(completion) && completion.every(isMessage));
      if (!promptOk || !completionOk) {
        example = 'expected {prompt, response}, {prompt, completion} or {messages}: prompt a string or message list, response/completion a string or messages';
      } else if (typeof completion === 'string') {
        example = { prompt: prompt as TextPrompt, response: completion };
      } else {
        // TRL conversational prompt-completion: prompt turns + completion turns, the last one answered.
        const turns = completion as ChatMessage[];
        const last = turns[turns.length - 1];
        if (last === undefined || last.role !== 'assistant') example = 'completion must end with an assistant message (the response)';
        else {
          const head: ChatMessage[] = typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : (prompt as ChatMessage[]);
          example = { prompt: [...head, ...turns.slice(0, -1)].map((m) => ({ role: m.role, content: m.content })), response: last.content };
        }
      }
    }
    if (typeof example === 'string') issues.push({ path: at, message: example });
    else if (example.response.trim() === '') issues.push({ path: at, message: 'the response is empty; drop the row' });
    else examples.push(example);
  });
  if (rows.length === 0) issues.push({ path: '(rows)', message: 'no rows: the dataset is empty' });
  throwIfAny('SFT rows', issues, 'Each line must be {"prompt": ..., "response": ...}, {"prompt": ..., "completion": ...} or {"messages": [...]}.');
  return examples;
}
