import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSamplingEngine, renderGenerationPrompt, type SamplingEngine } from '@sppo/model';
import { writeTinyCheckpoint } from '../test-fixtures.ts';
import { createOpenAiApp } from './app.ts';

let root: string;
let engine: SamplingEngine;
let app: ReturnType<typeof createOpenAiApp>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sppo-openai-'));
  await writeTinyCheckpoint(join(root, 'policy'), { maxPositionEmbeddings: 64 });
  engine = await createSamplingEngine({ modelDir: join(root, 'policy'), intraOpNumThreads: 1 });
  app = createOpenAiApp({ engine, now: () => 1700000000 });
});
afterAll(async () => {
  await engine.close();
  await rm(root, { recursive: true, force: true });
});

const post = async (path: string, body: unknown) => {
  const res = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
};

describe('GET /v1/models', () => {
  it('lists the served model with its context window', async () => {
    const res = await app.request('/v1/models');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ object: 'list', data: [{ id: 'policy', object: 'model', created: 1700000000, owned_by: 'sppo', max_model_len: 64 }] });
  });
});

describe('POST /v1/completions', () => {
  it('returns n seeded choices per prompt (seed + j), reproducible, with usage', async () => {
    const body = { model: 'policy', prompt: ['hello there', 'the cat'], n: 2, seed: 7, temperature: 0.8, max_tokens: 6 };
    const a = await post('/v1/completions', body);
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ object: 'text_completion', model: 'policy' });
    expect(a.json.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2, 3]);
    const b = await post('/v1/completions', body);
    expect(b.json.choices).toEqual(a.json.choices);
    // The same samples straight from the engine: prompt i, sample j -> seed 7 + j, BOS added.
    const direct = await engine.generate(
      ['hello there', 'the cat'].flatMap((prompt) => [7, 8].map((seed) => ({ prompt, seed, addSpecialTokens: true }))),
      { temperature: 0.8, maxNewTokens: 6 },
    );
    expect(a.json.choices.map((c: { text: string }) => c.text)).toEqual(direct.map((r) => r.text));
    const promptTokens = direct[0]!.promptTokens + direct[2]!.promptTokens;
    const completionTokens = direct.reduce((s, r) => s + r.completionTokens, 0);
    expect(a.json.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens });
  });

  it('accepts token-id prompts and honours stop strings', async () => {
    const full = await post('/v1/completions', { model: 'policy', prompt: [5, 6, 7, 8], seed: 1, max_tokens: 30, ignore_eos: true });
    expect(full.status).toBe(200);
    const text: string = full.json.choices[0].text;
    const stop = text.slice(8, 10);
    const cut = await post('/v1/completions', { model: 'policy', prompt: [5, 6, 7, 8], seed: 1, max_tokens: 30, ignore_eos: true, stop });
    expect(cut.json.choices[0]).toMatchObject({ text: text.slice(0, text.indexOf(stop)), finish_reason: 'stop' });
    expect(full.json.choices[0].finish_reason).toBe('length');
  });
});

describe('POST /v1/chat/completions', () => {
  it('renders the chat template with the generation prompt and answers as the assistant', async () => {
    const messages = [{ role: 'user', content: 'What is the capital of France?' }];
    const res = await post('/v1/chat/completions', { model: 'policy', messages, seed: 3, temperature: 0, max_tokens: 5 });
    expect(res.status).toBe(200);
    const { info } = engine;
    const prompt = renderGenerationPrompt(messages as never, { chatTemplate: info.chatTemplate, bosToken: info.bosToken, eosToken: info.eosToken });
    const [direct] = await engine.generate([{ prompt, seed: 3 }], { temperature: 0, maxNewTokens: 5 });
    expect(res.json).toMatchObject({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: direct?.text }, finish_reason: direct?.finishReason }] });
  });
});

/** The `data:` payloads of a server-sent-events body. */
async function events(res: Response): Promise<string[]> {
  const body = await res.text();
  return body
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice('data: '.length));
}

describe('streaming (stream: true)', () => {
  const postStream = (path: string, body: object) => app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });

  it('streams completion chunks whose text adds up to the non-streamed choices, then usage and [DONE]', async () => {
    const body = { model: 'policy', prompt: ['hello there', 'the cat'], n: 2, seed: 7, temperature: 0.8, max_tokens: 12, ignore_eos: true };
    const whole = await post('/v1/completions', body);
    const res = await postStream('/v1/completions', { ...body, stream_options: { include_usage: true } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const data = await events(res);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Record<string, any>);
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk).toMatchObject({ object: 'text_completion', choices: [], usage: whole.json.usage });
    const text = ['', '', '', ''];
    const finish: (string | null)[] = [null, null, null, null];
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk).toMatchObject({ object: 'text_completion', model: 'policy', id: chunks[0]!.id });
      for (const choice of chunk.choices) {
        expect(finish[choice.index]).toBeNull(); // nothing after a choice's finish_reason
        text[choice.index] += choice.text;
        finish[choice.index] = choice.finish_reason;
      }
    }
    expect(text).toEqual(whole.json.choices.map((c: { text: string }) => c.text));
    expect(finish).toEqual(whole.json.choices.map((c: { finish_reason: string }) => c.finish_reason));
    expect(chunks.length).toBeGreaterThan(5); // text arrives as it is generated
  });

  it('streams chat deltas after a role chunk, and never text that a stop string cuts', async () => {
    const messages = [{ role: 'user', content: 'Tell me a story.' }];
    const free = await post('/v1/chat/completions', { model: 'policy', messages, seed: 4, max_tokens: 30, ignore_eos: true });
    const full: string = free.json.choices[0].message.content;
    const stop = full.slice(10, 12);
    const body = { model: 'policy', messages, seed: 4, max_tokens: 30, ignore_eos: true, stop };
    const whole = await post('/v1/chat/completions', body);
    const data = await events(await postStream('/v1/chat/completions', body));
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Record<string, any>);
    expect(chunks[0]).toMatchObject({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    const content = chunks.flatMap((c) => c.choices.map((x: { delta: { content?: string } }) => x.delta.content ?? '')).join('');
    expect(content).toBe(whole.json.choices[0].message.content);
    expect(content).toBe(full.slice(0, full.indexOf(stop)));
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
  });

  it('answers a refused streaming request with its JSON error, not a stream', async () => {
    const long = Array.from({ length: 64 }, (_, i) => 3 + i);
    const res = await postStream('/v1/completions', { model: 'policy', prompt: long });
    expect(res.status).toBe(400);
    expect((await res.json()) as object).toMatchObject({ error: { code: 'context_length_exceeded', param: 'prompt' } });
  });
});

describe('errors in OpenAI shape', () => {
  const expectError = (res: { status: number; json: Record<string, any> }, status: number, param: string | null, code: string | null) => {
    expect(res.status).toBe(status);
    expect(Object.keys(res.json)).toEqual(['error']);
    expect(res.json.error).toMatchObject({ type: status === 500 ? 'server_error' : 'invalid_request_error', param, code });
    expect(typeof res.json.error.message).toBe('string');
  };

  it('rejects bad JSON, out-of-range parameters and unsupported features with 400', async () => {
    expectError(await post('/v1/completions', '{not json'), 400, null, 'invalid_json');
    const bad = await post('/v1/completions', { model: 'policy', prompt: 'x', temperature: 3, top_p: 0 });
    expectError(bad, 400, 'temperature', 'invalid_value');
    expect(bad.json.error.message).toMatch(/temperature.*top_p/s);
    expectError(await post('/v1/completions', { model: 'policy', prompt: 'x', stream: 'yes' }), 400, 'stream', 'invalid_value');
    expectError(await post('/v1/completions', { model: 'policy', prompt: 'x', logprobs: 2 }), 400, 'logprobs', 'invalid_value');
    expectError(await post('/v1/chat/completions', { model: 'policy', messages: [] }), 400, 'messages', 'invalid_value');
    expectError(await post('/v1/chat/completions', { model: 'policy', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }] }), 400, 'messages', 'invalid_prompt');
  });

  it('answers 404 model_not_found for another model and 400 context_length_exceeded for a long prompt', async () => {
    expectError(await post('/v1/completions', { model: 'gpt-4', prompt: 'x' }), 404, 'model', 'model_not_found');
    const long = Array.from({ length: 64 }, (_, i) => 3 + i);
    expectError(await post('/v1/completions', { model: 'policy', prompt: long }), 400, 'prompt', 'context_length_exceeded');
  });

  it('answers unknown routes with 404 in the same shape', async () => {
    const res = await app.request('/v1/embeddings', { method: 'POST' });
    expect(res.status).toBe(404);
    expect((await res.json()) as object).toMatchObject({ error: { type: 'invalid_request_error', code: 'unknown_url' } });
  });
});
