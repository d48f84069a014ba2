/**
 * An OpenAI-compatible HTTP API on the sampling engine (Hono; served on Node by
 * @hono/node-server): `GET /v1/models`, `POST /v1/completions`, `POST /v1/chat/completions`,
 * non-streaming, with n, temperature, top_p, max_tokens, seed and stop (plus vLLM's top_k,
 * ignore_eos, add_special_tokens). With a seed, sample j of a prompt uses seed + j, so the same
 * request gives the same choices; without one, a random base seed is drawn per request.
 * Concurrent requests share forward passes: the engine merges queued calls into its batches.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { z } from 'zod';
import { MAX_SEED, renderGenerationPrompt, type SampleResult, type SampleRow, type SamplingEngine, type TextDelta } from '@sppo/model';
import { OpenAiHttpError, toOpenAiError } from './errors.ts';
import { chatCompletionRequestSchema, completionRequestSchema } from './schemas.ts';

export interface OpenAiAppOptions {
  engine: SamplingEngine;
  /** The id clients send as `model` (default: the model folder's name). */
  modelName?: string;
  /** max_tokens of a chat completion that sets none, when the model declares no context window. */
  defaultChatMaxTokens?: number;
  /** Seconds since the epoch, for `created`. */
  now?: () => number;
}

async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new OpenAiHttpError(400, 'We could not parse the JSON body of your request: send a JSON object with Content-Type: application/json.', { code: 'invalid_json' });
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issues = result.error.issues;
    const first = issues[0];
    const where = (path: readonly PropertyKey[]): string => (path.length === 0 ? 'body' : path.map(String).join('.'));
    const message = issues.map((i) => `${where(i.path)}: ${i.message}`).join('; ');
    throw new OpenAiHttpError(400, `Invalid request: ${message}`, { param: first && first.path.length > 0 ? String(first.path[0]) : null, code: 'invalid_value' });
  }
  return result.data;
}

/** Per-sample seeds: seed + j (mod 2^32), or a random base when the request has none. */
function seedsFor(seed: number | null | undefined, n: number): number[] {
  const base = seed ?? randomInt(0, MAX_SEED);
  return Array.from({ length: n }, (_, j) => (base + j) % (MAX_SEED + 1));
}

function usage(results: readonly SampleResult[], n: number) {
  // OpenAI counts each prompt's tokens once, however many choices it has.
  const prompt = results.filter((_, i) => i % n === 0).reduce((s, r) => s + r.promptTokens, 0);
  const completion = results.reduce((s, r) => s + r.completionTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function createOpenAiApp({ engine, modelName = engine.info.name, defaultChatMaxTokens = 2048, now = () => Math.floor(Date.now() / 1000) }: OpenAiAppOptions): Hono {
  const app = new Hono();
  const created = now();
  const checkModel = (model: string): void => {
    if (model !== modelName) {
      throw new OpenAiHttpError(404, `The model \`${model}\` does not exist. This server serves: ${modelName}.`, { param: 'model', code: 'model_not_found' });
    }
  };
  // A client that goes away cancels its rows (the engine drops them at its next step).
  const sample = async (c: Context, rows: SampleRow[], params: Parameters<SamplingEngine['generate']>[1]): Promise<SampleResult[]> =>
    engine.generate(rows, params, { signal: c.req.raw.signal });

  /**
   * A streamed answer: `first` (the chat role chunks) before any text, then `chunk(deltas)` for
   * each batch of text deltas the engine streams, the usage chunk if asked, and `[DONE]`.
   */
  const stream = async (
    c: Context,
    { rows, params, n, includeUsage, first, chunk, usageChunk }: {
      rows: SampleRow[];
      params: Parameters<SamplingEngine['generate']>[1];
      n: number;
      includeUsage: boolean;
      first?: object;
      chunk: (deltas: TextDelta[]) => object;
      usageChunk: (counts: ReturnType<typeof usage>) => object;
    },
  ): Promise<Response> => {
    const queue: TextDelta[][] = [];
    let settled = false;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const cancel = new AbortController();
    const request = c.req.raw.signal;
    if (request.aborted) cancel.abort();
    else request.addEventListener('abort', () => cancel.abort(), { once: true });
    const pending = engine.generate(rows, params, {
      signal: cancel.signal,
      onText: (deltas) => {
        queue.push(deltas);
        notify();
      },
    });
    pending.then(
      () => ((settled = true), notify()),
      () => ((settled = true), notify()),
    );
    const work = (): Promise<void> => new Promise<void>((resolve) => (queue.length > 0 || settled ? resolve() : (wake = resolve)));
    await work();
    // Refused before any text (bad parameters, a prompt too long): a JSON error with its status.
    if (queue.length === 0) await pending;
    return streamSSE(c, async (sse) => {
      sse.onAbort(() => cancel.abort());
      const send = (body: object | string): Promise<void> => sse.writeSSE({ data: typeof body === 'string' ? body : JSON.stringify(body) });
      if (first !== undefined) await send(first);
      for (;;) {
        while (queue.length > 0) await send(chunk(queue.shift() as TextDelta[]));
        if (settled) break;
        await work();
      }
      try {
        const results = await pending;
        if (includeUsage) await send(usageChunk(usage(results, n)));
      } catch (error) {
        await send(toOpenAiError(error).body);
      }
      await send('[DONE]');
    });
  };

  app.get('/v1/models', (c) =>
    c.json({
      object: 'list',
      data: [{ id: modelName, object: 'model', created, owned_by: 'sppo', ...(engine.info.contextLength === undefined ? {} : { max_model_len: engine.info.contextLength }) }],
    }),
  );

  app.post('/v1/completions', async (c) => {
    const req = await parseBody(c, completionRequestSchema);
    checkModel(req.model);
    const prompts: (string | number[])[] =
      typeof req.prompt === 'string' ? [req.prompt] : typeof req.prompt[0] === 'number' ? [req.prompt as number[]] : (req.prompt as (string | number[])[]);
    const rows: SampleRow[] = [];
    for (const prompt of prompts) {
      for (const seed of seedsFor(req.seed, req.n)) rows.push({ prompt, seed, addSpecialTokens: req.add_special_tokens });
    }
    const params = { temperature: req.temperature, topP: req.top_p, topK: req.top_k, maxNewTokens: req.max_tokens, stop: req.stop, ignoreEos: req.ignore_eos };
    if (req.stream) {
      const head = { id: `cmpl-${randomUUID()}`, object: 'text_completion', created: now(), model: modelName };
      return stream(c, {
        rows,
        params,
        n: req.n,
        includeUsage: req.stream_options?.include_usage === true,
        chunk: (deltas) => ({ ...head, choices: deltas.map((d) => ({ index: d.row, text: d.text, logprobs: null, finish_reason: d.finishReason ?? null })) }),
        usageChunk: (u) => ({ ...head, choices: [], usage: u }),
      });
    }
    const results = await sample(c, rows, params);
    return c.json({
      id: `cmpl-${randomUUID()}`,
      object: 'text_completion',
      created: now(),
      model: modelName,
      choices: results.map((r, index) => ({ index, text: r.text, logprobs: null, finish_reason: r.finishReason })),
      usage: usage(results, req.n),
    });
  });

  app.post('/v1/chat/completions', async (c) => {
    const req = await parseBody(c, chatCompletionRequestSchema);
    checkModel(req.model);
    const { info } = engine;
    const messages = req.messages.map((m) => ({ role: m.role, content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('') }));
    const prompt = renderGenerationPrompt(messages, { chatTemplate: info.chatTemplate, bosToken: info.bosToken, eosToken: info.eosToken, padToken: info.padToken });
    const maxTokens = req.max_completion_tokens ?? req.max_tokens ?? info.contextLength ?? defaultChatMaxTokens;
    const rows = seedsFor(req.seed, req.n).map((seed) => ({ prompt, seed }));
    const params = { temperature: req.temperature, topP: req.top_p, topK: req.top_k, maxNewTokens: maxTokens, stop: req.stop, ignoreEos: req.ignore_eos };
    if (req.stream) {
      const head = { id: `chatcmpl-${randomUUID()}`, object: 'chat.completion.chunk', created: now(), model: modelName };
      return stream(c, {
        rows,
        params,
        n: req.n,
        includeUsage: req.stream_options?.include_usage === true,
        first: { ...head, choices: rows.map((_, index) => ({ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null })) },
        chunk: (deltas) => ({
          ...head,
          choices: deltas.map((d) => ({ index: d.row, delta: d.text === '' ? {} : { content: d.text }, logprobs: null, finish_reason: d.finishReason ?? null })),
        }),
        usageChunk: (u) => ({ ...head, choices: [], usage: u }),
      });
    }
    const results = await sample(c, rows, params);
    return c.json({
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: now(),
      model: modelName,
      choices: results.map((r, index) => ({ index, message: { role: 'assistant', content: r.text }, logprobs: null, finish_reason: r.finishReason })),
      usage: usage(results, req.n),
    });
  });

  app.notFound((c) => {
    const e = new OpenAiHttpError(404, `Unknown endpoint ${c.req.method} ${c.req.path}: this server has GET /v1/models, POST /v1/completions and POST /v1/chat/completions.`, { code: 'unknown_url' });
    return c.json(e.body, e.status);
  });
  app.onError((error, c) => {
    const e = toOpenAiError(error);
    return c.json(e.body, e.status);
  });
  return app;
}
