/**
 * The 'openai' generation backend: samples from an external OpenAI-compatible server instead of
 * the embedded engine (ARCHITECTURE 5: beyond one GPU, point the generator at vLLM / TGI /
 * SGLang). Like the official scripts/generate.py (one vLLM pass per sample k with seed 50*k), each
 * (prompt, sample) is one `POST {base}/completions` with n = 1 and that sample's seed, so the
 * per-response token count comes from `usage.completion_tokens`; requests run concurrently and
 * the server batches them. The prompt is our templated text, sent with vLLM's
 * `add_special_tokens: false` so that the BOS is not doubled, and `top_k` (a vLLM extension) only
 * when set.
 */
import { mapWithConcurrency } from '@sppo/cloud';
import type { SamplingParamsInput } from '@sppo/model';
import type { BackendResult, GenerationBackend } from './backend.ts';

export interface OpenAiBackendOptions {
  /** e.g. http://127.0.0.1:8000/v1 (the part before /completions). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Per request. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class OpenAiBackendError extends Error {
  override name = 'OpenAiBackendError';
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

interface CompletionResponse {
  choices?: { text?: unknown; finish_reason?: unknown; index?: unknown }[];
  usage?: { completion_tokens?: unknown };
}

export function openAiBackend({ baseUrl, model, apiKey, concurrency = 16, timeoutMs = 600_000, fetch: doFetch = fetch }: OpenAiBackendOptions): GenerationBackend {
  const url = `${baseUrl.replace(/\/+$/, '')}/completions`;
  const complete = async (prompt: string, seed: number, params: SamplingParamsInput): Promise<BackendResult> => {
    const body: Record<string, unknown> = {
      model,
      prompt,
      n: 1,
      seed,
      temperature: params.temperature,
      top_p: params.topP,
      max_tokens: params.maxNewTokens,
      add_special_tokens: false,
    };
    if (params.topK !== undefined && params.topK > 0) body.top_k = params.topK;
    if (params.stop !== undefined && params.stop.length > 0) body.stop = params.stop;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new OpenAiBackendError(`the OpenAI-compatible server at ${url} is unreachable: ${(e as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new OpenAiBackendError(`POST ${url} answered ${response.status}: ${text.slice(0, 1000)}`, response.status);
    }
    let parsed: CompletionResponse;
    try {
      parsed = JSON.parse(text) as CompletionResponse;
    } catch {
      throw new OpenAiBackendError(`POST ${url} answered with non-JSON: ${text.slice(0, 200)}`, response.status);
    }
    const choice = parsed.choices?.[0];
    if (typeof choice?.text !== 'string' || (choice.finish_reason !== 'stop' && choice.finish_reason !== 'length')) {
      throw new OpenAiBackendError(`POST ${url} answered without a usable choice (text and finish_reason 'stop' | 'length'): ${text.slice(0, 500)}`, response.status);
    }
    const tokens = parsed.usage?.completion_tokens;
    return { text: choice.text, finishReason: choice.finish_reason, completionTokens: typeof tokens === 'number' ? tokens : 0 };
  };
  return {
    kind: 'openai',
    async generate(rows, params, onProgress) {
      let done = 0;
      return mapWithConcurrency(rows, concurrency, async (row) => {
        const result = await complete(row.prompt, row.seed, params);
        onProgress?.(++done, rows.length);
        return result;
      });
    },
  };
}
