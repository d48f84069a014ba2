// `./sppo judge-train` and `./sppo judge`: a few steps of mini-PairRM training write a judge folder
// with metrics.json; `judge` turns a generations file into triplets with that folder or a rule judge.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTriplets, isPairTripletRow, parseJsonl, tripletRowSchema, type TripletRow } from '@sppo/core';
import { compareAllPairs, createLengthJudge, loadPairwiseJudge, syntheticPreferencePairs } from '@sppo/model';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../errors.ts';
import { writeParquet } from '../test-parquet.ts';
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

  it('accepts the official generated layout (generate_0..K-1 message lists) and plain {prompt, responses}, the same as our rows', async () => {
    // SPPO-REFERENCE 2.2 step 7: generate_k = [{user: prompt}, {assistant: response_k}]; probability and
    // rm_scores of an earlier judgement are replaced by this one.
    const official = generations.map((g) => ({
      prompt_id: g.prompt_id,
      prompt: g.prompt,
      ...Object.fromEntries(g.responses.map((r, k) => [`generate_${k}`, [{ content: g.prompt, role: 'user' }, { content: r, role: 'assistant' }]])),
      probability: g.responses.map(() => g.responses.map(() => 0.5)),
      rm_scores: g.responses.map(() => 0),
    }));
    const plain = generations.map((g) => ({ prompt: g.prompt, responses: g.responses }));
    const ours = join(dir, 'ours.jsonl');
    await writeFile(ours, generations.map((g) => JSON.stringify(g)).join('\n'));
    expect(await runJudge(['--model', 'rule:length', '--data', ours, '--out', join(dir, 'ours-out.jsonl')])).toBe(0);
    const expected = parseJsonl(await readFile(join(dir, 'ours-out.jsonl'), 'utf8'), tripletRowSchema);
    const officialPath = join(dir, 'official.jsonl');
    await writeFile(officialPath, official.map((g) => JSON.stringify(g)).join('\n'));
    expect(await runJudge(['--model', 'rule:length', '--data', officialPath, '--out', join(dir, 'official-out.jsonl')])).toBe(0);
    expect(parseJsonl(await readFile(join(dir, 'official-out.jsonl'), 'utf8'), tripletRowSchema)).toEqual(expected);
    // The same rows as Parquet (the datasets' own format: generate_k as lists of structs, probability as a list of lists).
    const parquetPath = join(dir, 'official.parquet');
    await writeParquet(parquetPath, official);
    expect(await runJudge(['--model', 'rule:length', '--data', parquetPath, '--out', join(dir, 'official-pq-out.jsonl')])).toBe(0);
    expect(parseJsonl(await readFile(join(dir, 'official-pq-out.jsonl'), 'utf8'), tripletRowSchema)).toEqual(expected);
    await writeParquet(parquetPath, [{ prompt: 'x', rm_scores: [0, 1] }]);
    await expect(runJudge(['--model', 'rule:length', '--data', parquetPath, '--out', join(dir, 'x.jsonl')])).rejects.toThrow(/none of its 1 row\(s\) is usable[\s\S]*row 0: no responses/);
    const plainPath = join(dir, 'plain.jsonl');
    await writeFile(plainPath, plain.map((g) => JSON.stringify(g)).join('\n'));
    expect(await runJudge(['--model', 'rule:length', '--data', plainPath, '--out', join(dir, 'plain-out.jsonl')])).toBe(0);
    // Without ids, rows are named p{index} like the prompt pool's.
    const pair = (r: TripletRow): unknown[] => (isPairTripletRow(r) ? [r.chosen, r.rejected] : []);
    expect(parseJsonl(await readFile(join(dir, 'plain-out.jsonl'), 'utf8'), tripletRowSchema).map((r) => [r.prompt_id, ...pair(r)])).toEqual(
      expected.map((r, i) => [`p${i}`, ...pair(r)]),
    );
  });

  it('gives the judge the prompt templated by --tokenizer for rows without prompt_text', async () => {
    // A judge that records the source text of every comparison it is asked for.
    const policy = join(dir, 'policy');
    await writeFile(join(dir, 'plain2.jsonl'), JSON.stringify({ prompt: 'Hi', responses: ['x'.repeat(2), 'x'.repeat(60)] }));
    const { runInitModel } = await import('./init-model.ts');
    expect(await runInitModel(['--out', policy, '--preset', 'tiny', '--seed', '1'])).toBe(0);
    const { loadTokenizer, renderGenerationPrompt } = await import('@sppo/model');
    const tok = await loadTokenizer(policy);
    const templated = renderGenerationPrompt('Hi', { chatTemplate: tok.chatTemplate, bosToken: tok.bosToken, eosToken: tok.eosToken, padToken: tok.padToken });
    expect(templated.length).toBeGreaterThan(20);
    const seen: string[] = [];
    const judgeModule = await import('@sppo/judge');
    const parsed = judgeModule.parseGenerationShard(await readFile(join(dir, 'plain2.jsonl'), 'utf8'));
    const spy = { name: 'spy', compare: async (pairs: { prompt: string }[]) => pairs.map((p) => (seen.push(p.prompt), 0)) };
    await judgeModule.judgeGenerations(spy as never, parsed, { aggregation: 'official', estimator: 'include_self', selection: 'extremes', renderPrompt: (p) => renderGenerationPrompt(p, { chatTemplate: tok.chatTemplate, bosToken: tok.bosToken, eosToken: tok.eosToken, padToken: tok.padToken }) });
    expect(new Set(seen)).toEqual(new Set([templated]));
    // And through the command: the option is accepted and the run completes.
    expect(await runJudge(['--model', 'rule:length', '--data', join(dir, 'plain2.jsonl'), '--out', join(dir, 'plain2-out.jsonl'), '--tokenizer', policy])).toBe(0);
    await expect(runJudge(['--model', 'rule:length', '--data', join(dir, 'plain2.jsonl'), '--out', join(dir, 'x.jsonl'), '--tokenizer', join(dir, 'nowhere')])).rejects.toThrow(/--tokenizer .*nowhere/);
  }, 60_000);

  it('fails when no row is usable, naming the first rows and what they lack (was: exit 0 with an empty file)', async () => {
    const data = join(dir, 'allbad.jsonl');
    const bad = [{ prompt: 'a' }, { responses: ['x', 'y'] }, 'not json', { prompt: 'b', generate_0: 'x', generate_2: 'y' }, { prompt: 'c', responses: 'xy' }, { prompt: 'd' }, { prompt: 'e' }];
    await writeFile(data, bad.map((b) => (typeof b === 'string' ? b : JSON.stringify(b))).join('\n'));
    const out = join(dir, 'allbad-out.jsonl');
    const error = await runJudge(['--model', 'rule:length', '--data', data, '--out', out]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toMatch(/none of its 7 row\(s\) is usable/);
    expect(message).toMatch(/line 1: no responses/);
    expect(message).toMatch(/line 2: prompt/);
    expect(message).toMatch(/line 3: not JSON/);
    expect(message).toMatch(/line 4: generate_k columns must be generate_0 \.\. generate_1; generate_2/);
    expect(message).toMatch(/line 5: responses/);
    expect(message).toMatch(/and 2 more/);
    await expect(readFile(out, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
