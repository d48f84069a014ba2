import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../errors.ts';
import { runInitModel } from './init-model.ts';
import { modelKind, serve } from './serve.ts';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sppo-serve-'));
  model = join(dir, 'base');
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  await runInitModel(['--out', model, '--preset=tiny', '--seed=5']);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});

/** Starts `./sppo serve` on a free port, runs `use` against it, then stops it. */
async function serving(argv: string[], use: (baseUrl: string) => Promise<void>): Promise<void> {
  let stop: () => void = () => undefined;
  const until = new Promise<void>((done) => (stop = done));
  let ready: (url: string) => void = () => undefined;
  const listening = new Promise<string>((done) => (ready = done));
  const running = serve([...argv, '--port=0'], until, ready);
  try {
    await use(await Promise.race([listening, running.then(() => Promise.reject(new Error('serve returned before listening')))]));
  } finally {
    stop();
    expect(await running).toBe(0);
  }
}

const postJson = async (url: string, body: unknown) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
};

describe('./sppo serve', () => {
  it('serves a checkpoint with the OpenAI-compatible API, reproducible with a seed', async () => {
    await serving(['--model', model, '--served-model-name=base', '--replicas=1'], async (baseUrl) => {
      const models = (await (await fetch(`${baseUrl}/models`)).json()) as { data: { id: string }[] };
      expect(models.data[0]?.id).toBe('base');
      const a = await postJson(`${baseUrl}/completions`, { model: 'base', prompt: 'hello', max_tokens: 5, seed: 3 });
      const b = await postJson(`${baseUrl}/completions`, { model: 'base', prompt: 'hello', max_tokens: 5, seed: 3 });
      expect(a.status).toBe(200);
      expect(b.json.choices).toEqual(a.json.choices);
    });
  });

  it('serves a rule judge with the compare / rank API', async () => {
    await serving(['--model', 'rule:length'], async (baseUrl) => {
      const res = await postJson(`${baseUrl}/compare`, { pairs: [{ prompt: 'p', response_a: 'short', response_b: 'a longer answer' }] });
      expect(res.json.data[0]).toMatchObject({ winner: 'b' });
    });
  });

  it('names what --model must be, and refuses bad options', async () => {
    expect(modelKind(model)).toBe('policy');
    expect(modelKind('rule:rps')).toBe('judge');
    expect(() => modelKind(dir)).toThrow(/no model.onnx .* nor pairwise.onnx/);
    await expect(serve(['--model', model, '--port=99999'], Promise.resolve())).rejects.toThrow(/--port must be an integer from 0 to 65535/);
    await expect(serve(['--model', model, '--execution-provider=tpu'], Promise.resolve())).rejects.toBeInstanceOf(UsageError);
    await expect(serve(['--model', model, '--bogus=1'], Promise.resolve())).rejects.toThrow(/unknown option --bogus/);
  });
});
