/**
 * A scoring row (a prompt and the response to score) to prompt and response token ids, through the
 * chat template split of chat-template.ts / tokenize.ts (SPPO-REFERENCE 2.3: only response tokens
 * are scored, the generation prompt belongs to the prompt). A row that does not fit `maxLength` is
 * either reported (the default: a truncated response has a different log-probability, so silently
 * scoring less text would mislead) or cut by TRL's keep_end rule, as training would cut it.
 */
import type { ChatMessage } from '../chat-template.ts';
import { tokenizeRow, truncatePromptAndResponses } from '../tokenize.ts';
import type { LoadedTokenizer } from '../tokenizer.ts';

export interface ScoreRowText {
  /** A user prompt, or the conversation before the response. */
  prompt: string | readonly ChatMessage[];
  /** The assistant response whose tokens are scored. */
  response: string;
}

/** A chat whose last message is the assistant's response, as (conversation before it, response). */
export function splitLastAssistant(messages: readonly ChatMessage[]): ScoreRowText {
  const last = messages[messages.length - 1];
  if (messages.length < 2 || last === undefined || last.role !== 'assistant') {
    throw new Error(
      'messages must end with the assistant response to score, after at least one earlier message ' +
        `(got ${messages.length} message(s), last role ${JSON.stringify(last?.role)})`,
    );
  }
  return { prompt: messages.slice(0, -1), response: last.content };
}

export interface TokenizeScoreRowOptions {
  tokenizer: LoadedTokenizer;
  /** Longest prompt + response (TRL max_length). */
  maxLength: number;
  /** Cut overlong rows by TRL keep_end instead of reporting them; needs maxPromptLength. */
  truncate?: boolean;
  /** TRL max_prompt_length, used when truncating. */
  maxPromptLength?: number;
  chatTemplate?: string;
}

export interface TokenizedScoreRow {
  promptIds: number[];
  responseIds: number[];
  /** Token counts before truncation. */
  fullPromptTokens: number;
  fullResponseTokens: number;
  truncated: boolean;
  /** Set when the row does not fit maxLength and truncation is off: the caller reports it. */
  overlong: boolean;
}

// Large enough that tokenizeRow never cuts: the limits are applied here instead.
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

export function tokenizeScoreRow(
  row: ScoreRowText,
  { tokenizer, maxLength, truncate = false, maxPromptLength, chatTemplate }: TokenizeScoreRowOptions,
): TokenizedScoreRow {
  const full = tokenizeRow(row.prompt, [row.response], {
    tokenizer,
    maxLength: NO_LIMIT,
    maxPromptLength: NO_LIMIT - 1,
    ...(chatTemplate === undefined ? {} : { chatTemplate }),
  });
  const promptIds = full.promptIds;
  const responseIds = full.responseIds[0] as number[];
  const base = { fullPromptTokens: promptIds.length, fullResponseTokens: responseIds.length };
  if (promptIds.length + responseIds.length <= maxLength) {
    return { promptIds, responseIds, ...base, truncated: false, overlong: false };
  }
  if (!truncate) return { promptIds, responseIds, ...base, truncated: false, overlong: true };
  if (maxPromptLength === undefined) throw new Error('tokenizeScoreRow: truncate needs maxPromptLength');
  const cut = truncatePromptAndResponses(promptIds, [responseIds], { maxLength, maxPromptLength, bosId: tokenizer.bosId });
  return { promptIds: cut.promptIds, responseIds: cut.responseIds[0] as number[], ...base, truncated: true, overlong: false };
}
