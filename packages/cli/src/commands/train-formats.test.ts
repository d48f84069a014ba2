// The official data files (issue 15 part 4): `./sppo train` on the official training columns alone
// (prompt, chosen, rejected, chosen_probs, chosen_probs_win, chosen_probs_lose, as compute_prob.py's
// prepare_score writes them; responses, probability and rm_scores are extras that change nothing),
// in JSONL and Parquet; `./sppo generate` reading prompts from the official Parquet datasets;
// `./sppo sft` on Parquet.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '@sppo/model';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { runInitModel } from './init-model.ts';
import { writeParquet } from '../test-parquet.ts';
import { readPrompts } from './generate.ts';
import { runSft } from './sft.ts';
import { runTrain } from './train.ts';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sppo-train-formats-'));
  model = join(dir, 'tiny');
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  expect(await runInitModel(['--out', model, '--preset=tiny', '--seed=5'])).toBe(0);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const official = (i: number) => ({
  prompt: `Question ${i}: name a colour.`,
  chosen: [{ content: `Question ${i}: name a colour.`, role: 'user' }, { content: 'Blue, like the sea.', role: 'assistant' }],
  rejected: [{ content: `Question ${i}: name a colour.`, role: 'user' }, { content: 'No.', role: 'assistant' }],
  chosen_probs: 0.87,
  chosen_probs_win: 0.6726,
  chosen_probs_lose: 0.2679,
});

it('trains on the official columns alone, to the same weights as the rows with every extra column', async () => {
  const rows = [0, 1, 2, 3].map(official);
  const extras = rows.map((r, i) => ({ ...r, prompt_id: `p${i}`, responses: ['Blue, like the sea.', 'No.'], probability: [[0.5, 0.87], [0.13, 0.5]], rm_scores: [0.95, -0.95] }));
  const common = ['--model', model, '--preset=tiny', '--num_train_epochs=1', '--per_device_train_batch_size=2', '--learning_rate=0.01', '--warmup_ratio=0'];
  await writeFile(join(dir, 'official.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
  await writeFile(join(dir, 'extras.jsonl'), extras.map((r) => JSON.stringify(r)).join('\n'));
  expect(await runTrain([...common, '--triplets', join(dir, 'official.jsonl'), '--out', join(dir, 'a')])).toBe(0);
  expect(await runTrain([...common, '--triplets', join(dir, 'extras.jsonl'), '--out', join(dir, 'b')])).toBe(0);
  // The official synthetic_data_*_score train.parquet layout: the same columns as Parquet.
  await writeParquet(join(dir, 'official.parquet'), rows);
  expect(await runTrain([...common, '--triplets', join(dir, 'official.parquet'), '--out', join(dir, 'pq')])).toBe(0);
  const [a, b, base] = await Promise.all([readCheckpoint(join(dir, 'a')), readCheckpoint(join(dir, 'b')), readCheckpoint(model)]);
  let moved = false;
  const pq = await readCheckpoint(join(dir, 'pq'));
  for (const [name, w] of a.weights) {
    expect(b.weights.get(name), name).toEqual(w);
    expect(pq.weights.get(name), name).toEqual(w);
    if (!moved && w.some((x, j) => x !== base.weights.get(name)![j])) moved = true;
  }
  expect(moved).toBe(true);
}, 60_000);

it('names every row that lacks an official column', async () => {
  const { chosen_probs_win: _, ...noWin } = official(0);
  await writeFile(join(dir, 'bad.jsonl'), [JSON.stringify(official(0)), JSON.stringify(noWin), JSON.stringify({ ...official(1), rejected: undefined })].join('\n'));
  const error = await runTrain(['--model', model, '--triplets', join(dir, 'bad.jsonl'), '--out', join(dir, 'c')]).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/line 2[\s\S]*chosen_probs_win/);
  expect((error as Error).message).toMatch(/line 3[\s\S]*rejected/);
  await writeParquet(join(dir, 'bad.parquet'), [official(0), noWin]);
  await expect(runTrain(['--model', model, '--triplets', join(dir, 'bad.parquet'), '--out', join(dir, 'c')])).rejects.toThrow(/row 1: chosen_probs_win/);
});

it('reads prompts from the official Parquet datasets (their prompt column; the other columns ignored)', async () => {
  const path = join(dir, 'prompts.parquet');
  await writeParquet(path, [
    { prompt_id: 'a1', prompt: 'Say hi.', generate_0: [{ content: 'Say hi.', role: 'user' }, { content: 'hi', role: 'assistant' }], rm_scores: [0.1] },
    { prompt_id: 'b2', prompt: 'Count.', generate_0: [{ content: 'Count.', role: 'user' }, { content: 'one', role: 'assistant' }], rm_scores: [0.2] },
  ]);
  expect(await readPrompts(path)).toEqual([{ prompt_id: 'a1', prompt: 'Say hi.' }, { prompt_id: 'b2', prompt: 'Count.' }]);
  await writeParquet(path, [{ prompt: 'ok' }, { prompt_id: 'no-prompt' }]);
  await expect(readPrompts(path)).rejects.toThrow(/row 1: prompt/);
});

it('fine-tunes (sft) from a Parquet file of {prompt, completion} rows, naming bad rows 0-based', async () => {
  const path = join(dir, 'sft.parquet');
  await writeParquet(path, [0, 1, 2, 3].map((i) => ({ prompt: `Question ${i}: name a colour.`, completion: 'Blue.' })));
  expect(await runSft(['--model', model, '--data', path, '--out', join(dir, 'sft'), '--preset=tiny', '--num_train_epochs=1', '--per_device_train_batch_size=2'])).toBe(0);
  expect((await readCheckpoint(join(dir, 'sft'))).config.hidden_size).toBe(64);
  await writeParquet(path, [{ prompt: 'Q', completion: 'A' }, { prompt: 'Q' }]);
  await expect(runSft(['--model', model, '--data', path, '--out', join(dir, 'sft2')])).rejects.toThrow(/row 1/);
}, 60_000);
