import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSequenceScorer, readCheckpoint, syntheticCorpus, tokenizeForTraining, type Checkpoint } from '@sppo/model';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { runSft } from './sft.ts';
import { captureOutput, createTinyModel } from './test-fixtures.ts';
import { runTrain } from './train.ts';

let dir: string;
let model: string;
let stderr: string[];

beforeAll(async () => {
  ({ dir, model } = await createTinyModel('sppo-sft-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  stderr = captureOutput();
});

async function meanNll(ck: Checkpoint, rows: { prompt: string; response: string }[]): Promise<number> {
  const args = { max_length: 256, max_prompt_length: 128, truncation_mode: 'keep_end' as const };
  const sequences = rows.map((r) => {
    const t = tokenizeForTraining(r.prompt, [r.response], { tokenizer: ck.tokenizer, args });
    return { promptIds: t.promptIds, responseIds: t.responseIds[0] as number[] };
  });
  const scorer = await createSequenceScorer({ config: ck.config, weights: ck.weights, padId: ck.tokenizer.padId });
  const s = await scorer.score(sequences);
  await scorer.close();
  return -s.logps.reduce((a, b) => a + b, 0) / s.counts.reduce((a, b) => a + b, 0);
}

describe('sft command', () => {
  it('lowers the loss, prints a line per step and saves the resolved config with the checkpoint', async () => {
    const rows = syntheticCorpus({ documents: 16, seed: 2 }).map((d, i) => ({ prompt: `Tell me fact ${i % 4}`, response: d.slice(0, 40) }));
    const data = join(dir, 'sft.jsonl');
    await writeFile(data, rows.map((r) => JSON.stringify(r)).join('\n'));
    const out = join(dir, 'sft-out');
    const code = await runSft(['--model', model, '--data', data, '--out', out, '--preset=tiny', '--num_train_epochs=3', '--learning_rate=3e-3', '--per_device_train_batch_size=4']);
    expect(code).toBe(0);
    const steps = stderr.filter((l) => /^step \d+\/12: loss /.test(l));
    expect(steps).toHaveLength(12);
    const trained = await readCheckpoint(out, { verifyHashes: true });
    expect(trained.trainingArgs).toMatchObject({ learning_rate: 3e-3, num_train_epochs: 3, optim: 'adamw', preset: 'tiny', task: 'sft' });
    expect((trained.metrics as { log_history: { step: number }[] }).log_history.map((e) => e.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const base = await readCheckpoint(model);
    expect(await meanNll(trained, rows)).toBeLessThan((await meanNll(base, rows)) - 0.2);
  });

  it('rejects unknown overrides and bad rows as usage errors that list every problem', async () => {
    const data = join(dir, 'bad.jsonl');
    await writeFile(data, '{"prompt": "a", "response": "b"}\n{"prompt": "a"}\nnot json\n');
    await expect(runSft(['--model', model, '--data', data, '--out', join(dir, 'x'), '--learning_rat=1'])).rejects.toThrow(/did you mean --learning_rate/);
    await expect(runSft(['--model', model, '--data', data, '--out', join(dir, 'x'), '--preset=huge'])).rejects.toThrow(UsageError);
    await expect(runSft(['--model', model, '--data', data, '--out', join(dir, 'x')])).rejects.toThrow(/line 3[\s\S]*not JSON/);
    await writeFile(data, '{"prompt": "a", "response": "b"}\n{"prompt": "a"}\n');
    await expect(runSft(['--model', model, '--data', data, '--out', join(dir, 'x')])).rejects.toThrow(/line 2/);
  });
});

describe('train command', () => {
  const pair = (i: number, chosen: string, rejected: string) => ({
    prompt_id: `p${i}`,
    prompt: `Question ${i}`,
    responses: [chosen, rejected],
    probability: [[0.5, 0.8], [0.2, 0.5]],
    rm_scores: [0.6, -0.6],
    chosen: [{ role: 'user', content: `Question ${i}` }, { role: 'assistant', content: chosen }],
    rejected: [{ role: 'user', content: `Question ${i}` }, { role: 'assistant', content: rejected }],
    chosen_probs: 0.8,
    chosen_probs_win: 0.65,
    chosen_probs_lose: 0.35,
  });

  it('runs one SPPO round from a triplets file (2 x 2 accumulation), resumable from --state-dir', async () => {
    const docs = syntheticCorpus({ documents: 16, seed: 4 });
    const triplets = join(dir, 'triplets.jsonl');
    await writeFile(triplets, docs.slice(0, 8).map((d, i) => JSON.stringify(pair(i, d.slice(0, 30), (docs[i + 8] as string).slice(0, 30)))).join('\n'));
    const out = join(dir, 'round1');
    const state = join(dir, 'state');
    const args = ['--model', model, '--triplets', triplets, '--out', out, '--preset=tiny', '--beta=0.1', '--num_train_epochs=2', '--save_steps=2', '--per_device_train_batch_size=2', '--gradient_accumulation_steps=2', '--state-dir', state];
    expect(await runTrain(args)).toBe(0);
    expect(stderr.some((l) => /^train: 8 pairs .*loss sppo/.test(l))).toBe(true);
    expect(stderr.filter((l) => /^step \d+\/4: loss .* margin .* acc /.test(l))).toHaveLength(4);
    expect(await readdir(state)).toContain('state.json');
    const first = await readCheckpoint(out);
    // A second invocation resumes from the saved state (step 2) and reaches the same weights.
    expect(await runTrain([...args, '--overwrite'])).toBe(0);
    expect(stderr.some((l) => /resuming from step 2/.test(l))).toBe(true);
    const second = await readCheckpoint(out);
    for (const [name, w] of first.weights) expect(second.weights.get(name), name).toEqual(w);
    expect(JSON.parse(await readFile(join(out, 'training_args.json'), 'utf8'))).toMatchObject({ loss_type: 'sppo', beta: 0.1, task: 'train' });
  });

  it('refuses probabilities outside [0, 1] and a loss that needs pairs on per-response rows', async () => {
    const triplets = join(dir, 'bad-triplets.jsonl');
    await writeFile(triplets, JSON.stringify({ ...pair(0, 'a b', 'c d'), chosen_probs_win: 1.5 }));
    await expect(runTrain(['--model', model, '--triplets', triplets])).rejects.toThrow(/line 1[\s\S]*chosen_probs_win/);
    const all = { prompt_id: 'p0', prompt: 'Q', responses: ['a', 'b'], probability: [[0.5, 0.6], [0.4, 0.5]], rm_scores: [0.1, -0.1], response_index: 0, response: 'a', win_rate: 0.55 };
    await writeFile(triplets, JSON.stringify(all));
    await expect(runTrain(['--model', model, '--triplets', triplets, '--out', join(dir, 'dpo'), '--loss_type=sigmoid'])).rejects.toThrow(UsageError);
  });
});
