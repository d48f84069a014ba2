/**
 * A shard's generation rows (ARCHITECTURE 3.3, core's generationRowSchema) from prompts: each
 * prompt rendered with the chat template and its generation prompt, then K samples, sample k with
 * seed seeds[k] (official: 50*k, SPPO-REFERENCE 2.2 step 4). All K x prompts rows go to the
 * backend in one call, so the embedded engine batches them (one prefill per prompt).
 */
import type { GenerationRow } from '@sppo/core';
import { renderGenerationPrompt, type ChatMessage, type PromptTemplateOptions, type SamplingParamsInput } from '@sppo/model';
import type { BackendRow, GenerationBackend } from './backend.ts';

export interface PromptInput {
  prompt_id: string;
  /** A raw user prompt, or a conversation ending with a user turn. */
  prompt: string | readonly ChatMessage[];
}

export interface GenerateRowsOptions {
  backend: GenerationBackend;
  prompts: readonly PromptInput[];
  template: PromptTemplateOptions;
  /** One seed per sample; its length is K. */
  seeds: readonly number[];
  params: SamplingParamsInput;
  onProgress?: (done: number, total: number) => void;
}

/** The raw prompt text of a row: the prompt itself, or the last user turn of a conversation. */
export function rawPromptText(prompt: PromptInput['prompt']): string {
  if (typeof prompt === 'string') return prompt;
  const users = prompt.filter((m) => m.role === 'user');
  return users[users.length - 1]?.content ?? '';
}

export async function generateRows({ backend, prompts, template, seeds, params, onProgress }: GenerateRowsOptions): Promise<GenerationRow[]> {
  const texts = prompts.map((p) => renderGenerationPrompt(p.prompt, template));
  const requests: BackendRow[] = [];
  for (const text of texts) for (const seed of seeds) requests.push({ prompt: text, seed });
  const results = await backend.generate(requests, params, onProgress);
  const K = seeds.length;
  return prompts.map((p, i) => {
    const mine = results.slice(i * K, (i + 1) * K);
    return {
      prompt_id: p.prompt_id,
      prompt: rawPromptText(p.prompt),
      prompt_text: texts[i] as string,
      responses: mine.map((r) => r.text),
      seeds: [...seeds],
      response_tokens: mine.map((r) => r.completionTokens),
      finish_reasons: mine.map((r) => r.finishReason),
    };
  });
}
