// `./sppo judge-train` and `./sppo judge`: a few steps of mini-PairRM training write a judge folder
// with metrics.json; `judge` turns a generations file into triplets with that folder or a rule judge.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTriplets, parseJsonl, tripletRowSchema } from '@sppo/core';
import { compareAllPairs, createLengthJudge, loadPairwiseJudge, syntheticPreferencePairs } from '@sppo/model';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../errors.ts';
import { runJudge } from './judge.ts';
import { runJudgeTrain } from './judge-train.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sppo-cli-judge-'));
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const generations = [
  { prompt_id: 'p0', prompt: 'Say hi.', prompt_text: 'Say hi.', responses: ['hi', 'hello there', 'hey'], seeds: [0, 50, 100], response_tokens: [1, 2, 1], finish_reasons: ['stop', 'stop', 'stop'] },
  { prompt_id: 'p1', prompt: 'Count.', prompt_text: 'Count.', responses: ['one two', 'one'], seeds: [0, 50], response_tokens: [2, 1], finish_reasons: ['stop', 'length'] },
];

describe('judge-train', () => {
  it('trains both orders, writes a judge folder with held-out metrics, and accepts chosen/rejected rows', async () => {
    const pairs = syntheticPreferencePairs({ task: 'rps', count: 30, seed: 2 });
    const lines = pairs.map((p, i) =>
      i % 3 === 0
        ? { prompt: p.prompt, chosen: p.probability === 1 ? p.responseA : p.responseB, rejected: p.probability === 1 ? p.responseB : p.responseA }
        : i % 3 === 1
          ? { prompt: p.prompt, response_a: p.responseA, response_b: p.responseB, label: p.probability }
          : { prompt: p.prompt, response_a: p.responseA, response_b: p.responseB, probability: p.probability },
    );
    const data = join(dir, 'pairs.jsonl');
    await writeFile(data, lines.map((l) => JSON.stringify(l)).join('\n'));
    const out = join(dir, 'judge');
    expect(await runJudgeTrain(['--data', data, '--out', out, '--max_steps=3', '--vocab_size=290', '--hidden_size=16', '--intermediate_size=16', '--num_attention_heads=2', '--eval_ratio=0.2'])).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['_COMPLETE', 'config.json', 'log_history.json', 'metrics.json', 'model.safetensors', 'pairwise.onnx', 'tokenizer.json', 'tokenizer_config.json', 'training_args.json']);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as Record<string, number>;
    expect(metrics['train/pairs']).toBe(24);
    expect(metrics['train/examples']).toBe(48);
    expect(metrics['train/steps']).toBe(3);
    expect(metrics['eval/pairs_scored']).toBe(6);
    expect(metrics['eval/accuracy']).toBeGreaterThanOrEqual(0);
    // Continue training from the folder.
    expect(await runJudgeTrain(['--data', data, '--out', join(dir, 'judge2'), '--init_from', out, '--max_steps=1'])).toBe(0);
  }, 60_000);

  it('reports every bad line and unknown options as usage errors', async () => {
    const data = join(dir, 'bad.jsonl');
    await writeFile(data, ['{"prompt":"p","response_a":"a","response_b":"b","label":1}', 'nope', '{"prompt":"p","response_a":"a","response_b":"b","label":7}'].join('\n'));
    const error = await runJudgeTrain(['--data', data, '--out', join(dir, 'x')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/line 2: not JSON[\s\S]*line 3: label must be 1/);
    await expect(runJudgeTrain(['--data', data, '--out', join(dir, 'x'), '--learning_rat=1'])).rejects.toThrow(/unknown option --learning_rat/);
  });
});

describe('judge', () => {
  it('writes core triplets with a rule judge and the chosen options', async () => {
    const data = join(dir, 'gens.jsonl');
    await writeFile(data, `${generations.map((g) => JSON.stringify(g)).join('\n')}\nbroken line\n`);
    const out = join(dir, 'triplets.jsonl');
    expect(await runJudge(['--model', 'rule:length', '--data', data, '--out', out, '--score_aggregation=direct'])).toBe(0);
    const rows = parseJsonl(await readFile(out, 'utf8'), tripletRowSchema);
    const C = await compareAllPairs(createLengthJudge(), generations.map((g) => ({ prompt: g.prompt_text, responses: g.responses })));
    expect(rows).toEqual(generations.flatMap((g, i) => buildTriplets({ promptId: g.prompt_id, prompt: g.prompt, responses: g.responses, C: C[i]!, aggregation: 'direct' })));
    expect(console.error).toHaveBeenCalledWith(expect.stringMatching(/line 3 skipped: not JSON/));
  });

  it('uses a judge folder (ONNX) and rejects K < 2 and bad option values', async () => {
    const data = join(dir, 'gens2.jsonl');
    await writeFile(data, generations.map((g) => JSON.stringify(g)).join('\n'));
    const out = join(dir, 'triplets2.jsonl');
    const model = join(dir, 'judge');
    expect(await runJudge(['--model', model, '--data', data, '--out', out, '--selection=all', '--batch_size=2'])).toBe(0);
    const rows = parseJsonl(await readFile(out, 'utf8'), tripletRowSchema);
    expect(rows).toHaveLength(5);
    const judge = await loadPairwiseJudge(model, { thread: 'main' });
    const [C] = await compareAllPairs(judge, [{ prompt: 'Say hi.', responses: generations[0]!.responses }]);
    await judge.close?.();
    const expected = buildTriplets({ promptId: 'p0', prompt: 'Say hi.', responses: generations[0]!.responses, C: C!, selection: 'all' });
    rows[0]!.rm_scores.forEach((s, i) => expect(s).toBeCloseTo(expected[0]!.rm_scores[i]!, 5));

    await writeFile(data, JSON.stringify({ ...generations[0], responses: ['solo'] }));
    await expect(runJudge(['--model', 'rule:rps', '--data', data, '--out', out])).rejects.toThrow(/K >= 2/);
    await expect(runJudge(['--model', 'rule:rps', '--data', data, '--out', out, '--selection=best'])).rejects.toThrow(/extremes, all/);
    await writeFile(data, generations.map((g) => JSON.stringify(g)).join('\n'));
    await expect(runJudge(['--model', model, '--data', data, '--out', out, '--execution_provider=tpu'])).rejects.toThrow(/"tpu" is not available.*Available: .*cpu/);
  }, 30_000);
});
