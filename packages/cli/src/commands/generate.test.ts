import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generationRowSchema } from '@sppo/core';
import { createSamplingEngine, renderGenerationPrompt } from '@sppo/model';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../errors.ts';
import { runGenerate } from './generate.ts';
import { runInitModel } from './init-model.ts';

let dir: string;
let model: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sppo-generate-'));
  model = join(dir, 'tiny');
  await runInitModel(['--out', model, '--preset=tiny', '--seed=5']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // progress lines
});

async function generate(file: string, content: string, extra: string[] = []): Promise<Record<string, unknown>[]> {
  const prompts = join(dir, file);
  await writeFile(prompts, content);
  const out = join(dir, `${file}.out.jsonl`);
  expect(await runGenerate(['--model', model, '--prompts', prompts, '--out', out, '--max-new-tokens=8', ...extra])).toBe(0);
  return (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('generate', () => {
  it('writes one generation row per JSONL prompt with K seeded samples (seed + 50k)', async () => {
    const rows = await generate(
      'p.jsonl',
      [JSON.stringify({ prompt_id: 'a', prompt: 'Hello there' }), JSON.stringify({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] })].join('\n'),
      ['--n=3', '--seed=7', '--temperature=1'],
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(generationRowSchema.safeParse(row).success).toBe(true);
    expect(rows[0]).toMatchObject({ prompt_id: 'a', prompt: 'Hello there', seeds: [7, 57, 107] });
    expect(rows[1]).toMatchObject({ prompt_id: 'p1', prompt: 'Hi', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] });
    // The same samples straight from the engine on the templated prompt.
    const engine = await createSamplingEngine({ modelDir: model });
    const { info } = engine;
    const text = renderGenerationPrompt('Hello there', { chatTemplate: info.chatTemplate, bosToken: info.bosToken, eosToken: info.eosToken });
    expect(rows[0]?.prompt_text).toBe(text);
    const direct = await engine.generate([7, 57, 107].map((seed) => ({ prompt: text, seed })), { temperature: 1, topP: 0.9, maxNewTokens: 8 });
    await engine.close();
    expect(rows[0]?.responses).toEqual(direct.map((r) => r.text));
    expect(rows[0]?.finish_reasons).toEqual(direct.map((r) => r.finishReason));
  });

  it('reads a plain text file as one prompt per line and is deterministic', async () => {
    const a = await generate('p.txt', 'first prompt\n\nsecond prompt\n', ['--n=2']);
    const b = await generate('p.txt', 'first prompt\n\nsecond prompt\n', ['--n=2']);
    expect(a.map((r) => r.prompt_id)).toEqual(['p0', 'p1']);
    expect(a).toEqual(b);
  });

  it('gives the same rows whatever the number of engine replicas', async () => {
    const prompts = 'first prompt\nsecond prompt\nthird prompt\n';
    const one = await generate('r.txt', prompts, ['--n=3', '--replicas=1', '--temperature=1']);
    const two = await generate('r.txt', prompts, ['--n=3', '--replicas=2', '--threads=1', '--temperature=1']);
    expect(two).toEqual(one);
    await expect(generate('r.txt', prompts, ['--replicas=0'])).rejects.toThrow(/--replicas must be an integer >= 1/);
  });

  it('refuses bad options, a missing model and over-long prompts with usage errors', async () => {
    await writeFile(join(dir, 'one.txt'), 'hello\n');
    const call = (extra: string[]) => runGenerate(['--model', model, '--prompts', join(dir, 'one.txt'), ...extra]);
    await expect(call(['--temperature=-1'])).rejects.toThrow(/--temperature must be a number >= 0/);
    await expect(call(['--top-p=1.5'])).rejects.toThrow(/--top-p/);
    await expect(call(['--n=0'])).rejects.toThrow(/--n must be an integer >= 1/);
    await expect(call(['--bogus=1'])).rejects.toThrow(/unknown option --bogus/);
    await expect(runGenerate(['--model', join(dir, 'nope'), '--prompts', join(dir, 'one.txt')])).rejects.toBeInstanceOf(UsageError);
    await writeFile(join(dir, 'long.txt'), `${'word '.repeat(3000)}\n`);
    await expect(runGenerate(['--model', model, '--prompts', join(dir, 'long.txt')])).rejects.toThrow(/context window/);
  });
});
