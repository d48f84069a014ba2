/**
 * Request bodies of the OpenAI-compatible endpoints, with OpenAI's defaults (temperature 1,
 * top_p 1, n 1; completions max_tokens 16) plus vLLM's sampling extensions `top_k`,
 * `ignore_eos` and `add_special_tokens`. Unknown fields are ignored like OpenAI does; fields that
 * would change the output in ways this server cannot honour (logprobs, penalties, logit_bias,
 * best_of, echo) are refused instead of silently ignored.
 */
import { z } from 'zod';
import { MAX_SEED } from '@sppo/model';

const tokenIds = z.array(z.number().int().min(0)).min(1);

const samplingShape = {
  model: z.string().min(1),
  n: z.number().int().min(1).max(128).default(1),
  temperature: z.number().min(0).max(2).nullish().transform((v) => v ?? 1),
  top_p: z.number().gt(0).max(1).nullish().transform((v) => v ?? 1),
  /** vLLM extension: -1 or 0 turns it off. */
  top_k: z.number().int().min(-1).nullish().transform((v) => (v === undefined || v === null || v < 0 ? 0 : v)),
  seed: z.number().int().min(0).max(MAX_SEED).nullish(),
  stop: z
    .union([z.string().min(1), z.array(z.string().min(1)).max(4)])
    .nullish()
    .transform((v) => (v === undefined || v === null ? [] : typeof v === 'string' ? [v] : v)),
  ignore_eos: z.boolean().default(false),
  user: z.string().optional(),
  /** Server-sent events: `data: {chunk}` lines as the text grows, then `data: [DONE]`. */
  stream: z.boolean().nullish().transform((v) => v ?? false),
  /** With stream: a last chunk with the usage and no choices. */
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  logprobs: z.union([z.literal(false), z.null()], { error: 'logprobs are not supported by this server' }).optional(),
  presence_penalty: z.literal(0, { error: 'presence_penalty is not supported by this server: send 0 or leave it out' }).nullish(),
  frequency_penalty: z.literal(0, { error: 'frequency_penalty is not supported by this server: send 0 or leave it out' }).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish().refine((v) => v === undefined || v === null || Object.keys(v).length === 0, {
    message: 'logit_bias is not supported by this server',
  }),
};

export const completionRequestSchema = z.object({
  ...samplingShape,
  prompt: z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)], {
    error: 'prompt must be a string, a list of strings, a list of token ids or a list of token-id lists',
  }),
  max_tokens: z.number().int().min(1).nullish().transform((v) => v ?? 16),
  /** vLLM extension; completions add the BOS like HF tokenizers do by default. */
  add_special_tokens: z.boolean().default(true),
  echo: z.literal(false, { error: 'echo is not supported by this server' }).nullish(),
  best_of: z.literal(1, { error: 'best_of is not supported by this server: use n' }).nullish(),
  suffix: z.null({ error: 'suffix is not supported by this server' }).optional(),
});
export type CompletionRequest = z.output<typeof completionRequestSchema>;

const contentPart = z.object({ type: z.literal('text'), text: z.string() });
export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.union([z.string(), z.array(contentPart).min(1)], { error: 'content must be a string or a list of {type: "text", text} parts' }),
  name: z.string().optional(),
});

export const chatCompletionRequestSchema = z.object({
  ...samplingShape,
  messages: z.array(chatMessageSchema).min(1),
  /** Absent: up to the end of the context window. */
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
});
export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;
