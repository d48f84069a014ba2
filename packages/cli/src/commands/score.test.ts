import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCheckpoint, referenceSequenceLogps, type Checkpoint } from '@sppo/model';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runInitModel } from './init-model.ts';
import { runScore } from './score.ts';

interface ScoredRow {
  id?: string;
  prompt_id?: string;
  response_index?: number;
  logprob: number;
  num_tokens: number;
  prompt_ids: number[];
  response_ids: number[];
  truncated?: boolean;
}

let dir: string;
let model: string;
let checkpoint: Checkpoint;
const rows = [
  { id: 'r0', prompt: 'What does the cat like?', response: 'The cat likes the red ball.' },
  { prompt_id: 'p1', response_index: 2, messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello there, friend!' }] },
  { prompt: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Tell me a long story about a robot.' }], response: 'A robot builds a small house every day, 42 times. Größe: 42 cm.' },
  { id: 'r3', prompt: 'x', response: '' },
];

async function score(data: unknown[] | string, extra: string[] = []): Promise<ScoredRow[]> {
  const name = `data-${Math.random().toString(36).slice(2)}`;
  const dataPath = join(dir, `${name}.jsonl`);
  await writeFile(dataPath, typeof data === 'string' ? data : data.map((r) => JSON.stringify(r)).join('\n'));
  const out = join(dir, `${name}.out.jsonl`);
  expect(await runScore(['--model', model, '--data', dataPath, '--out', out, ...extra])).toBe(0);
  return (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ScoredRow);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sppo-score-'));
  model = join(dir, 'tiny');
  await runInitModel(['--out', model, '--preset=tiny', '--seed=5']);
  checkpoint = await readCheckpoint(model);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // progress lines
});

describe('score', () => {
  it('agrees with the float64 reference forward on the tiny preset, row by row, in input order', async () => {
    const out = await score(rows, ['--batch-size=3']);
    expect(out).toHaveLength(rows.length);
    expect(out[0]).toMatchObject({ id: 'r0' });
    expect(out[1]).toMatchObject({ prompt_id: 'p1', response_index: 2 });
    const { config, weights, tokenizer } = checkpoint;
    const endOfTurn = tokenizer.tokenToId('<|end|>');
    for (const r of out) {
      const ids = [...r.prompt_ids, ...r.response_ids];
      const ref = referenceSequenceLogps(config, weights, { inputIds: [ids], responseMask: [ids.map((_, t) => (t >= r.prompt_ids.length ? 1 : 0))] });
      const expected = ref.logps[0] as number;
      // float32 graph vs float64 reference: relative round-off over a sum of ~-6 nats per token.
      expect(Math.abs(r.logprob - expected)).toBeLessThan(2e-5 * Math.abs(expected) + 1e-4);
      expect(r.num_tokens).toBe(r.response_ids.length);
      expect(r.response_ids.at(-1)).toBe(endOfTurn);
      expect(r.prompt_ids[0]).toBe(tokenizer.bosId);
    }
    // Only the response is scored: the generation prompt belongs to the prompt side.
    expect(tokenizer.decode(out[0]!.prompt_ids)).toBe('<|begin_of_text|><|user|>\nWhat does the cat like?<|end|><|assistant|>\n');
    expect(tokenizer.decode(out[2]!.prompt_ids)).toMatch(/^<\|begin_of_text\|><\|system\|>\nBe brief\.<\|end\|><\|user\|>/);
    expect(out[3]!.num_tokens).toBe(1); // an empty response still ends its turn
  });

  it('gives the same log-probabilities whatever the batch size and padding', async () => {
    const one = await score(rows, ['--batch-size=1']);
    const all = await score(rows, ['--batch-size=8']);
    one.forEach((r, i) => expect(Math.abs(r.logprob - all[i]!.logprob)).toBeLessThan(1e-4));
  });

  it('reports every bad line with its number, and skips blank lines when counting', async () => {
    const text = [JSON.stringify(rows[0]), '', 'not json', JSON.stringify({ prompt: 'p' }), JSON.stringify({ messages: [{ role: 'user', content: 'only a question' }] }), JSON.stringify({ prompt: 3, response: 'r' })].join('\n');
    await writeFile(join(dir, 'bad.jsonl'), text);
    await expect(runScore(['--model', model, '--data', join(dir, 'bad.jsonl')])).rejects.toThrow(
      /4 problems[\s\S]*line 3: not JSON[\s\S]*line 4: response: missing[\s\S]*line 5: messages: messages must end with the assistant response[\s\S]*line 6: prompt: must be a string/,
    );
  });

  it('refuses overlong rows with their lines unless --truncate, which cuts them as TRL keep_end', async () => {
    const long = { id: 'long', prompt: 'the teacher explains the question with care. '.repeat(10), response: 'a new idea '.repeat(20) };
    const data = join(dir, 'long.jsonl');
    await writeFile(data, `${JSON.stringify(rows[0])}\n${JSON.stringify(long)}\n`);
    await expect(runScore(['--model', model, '--data', data, '--max_length=48'])).rejects.toThrow(
      /1 row\(s\) cannot be scored:\n {2}- line 2: \d+ tokens \(prompt \d+ \+ response \d+\) > --max_length 48\nRaise --max_length, or pass --truncate/,
    );
    const out = await score([rows[0], long], ['--max_length=48', '--truncate', '--max_prompt_length=16']);
    expect(out[0]!.truncated).toBeUndefined();
    expect(out[1]).toMatchObject({ id: 'long', truncated: true });
    expect(out[1]!.prompt_ids).toHaveLength(16);
    expect(out[1]!.prompt_ids.length + out[1]!.response_ids.length).toBe(48);
    expect(out[1]!.num_tokens).toBe(32);
  });

  it('says what is wrong with the model folder, the data file and the options', async () => {
    const data = join(dir, 'one.jsonl');
    await writeFile(data, `${JSON.stringify(rows[0])}\n`);
    await expect(runScore(['--model', join(dir, 'nope'), '--data', data])).rejects.toThrow(/not a checkpoint folder \(no such folder\)\. Create one with \.\/sppo init-model/);
    await expect(runScore(['--model', dir, '--data', data])).rejects.toThrow(/no config\.json in it/);
    await expect(runScore(['--model', model, '--data', join(dir, 'missing.jsonl')])).rejects.toThrow(/cannot read --data/);
    await expect(runScore(['--model', model])).rejects.toThrow(/missing --data/);
    await expect(runScore(['--model', model, '--data', data, '--batch-size=0'])).rejects.toThrow(/--batch-size must be an integer >= 1/);
    await expect(runScore(['--model', model, '--data', data, '--max_prompt_length=8'])).rejects.toThrow(/only applies with --truncate/);
    await expect(runScore(['--model', model, '--data', data, '--beta=0.1'])).rejects.toThrow(/unknown option --beta/);
  });

  it('writes JSONL to stdout when --out is not given (spawned through main.ts)', async () => {
    const main = fileURLToPath(new URL('../main.ts', import.meta.url));
    const data = join(dir, 'stdout.jsonl');
    await writeFile(data, rows.slice(0, 2).map((r) => JSON.stringify(r)).join('\n'));
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'score', `--model=${model}`, `--data=${data}`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ScoredRow);
    expect(lines.map((l) => l.id ?? l.prompt_id)).toEqual(['r0', 'p1']);
    expect(r.stderr).toMatch(/^score: batch 1\/1 \(2 rows, \d+ tokens\)/m);
  });
});
