/**
 * Evaluation as a stage of every run (issue 21, "What it must show"), through the stack of
 * `./sppo up` (cli's startLocalStack) and `./sppo run`: a 2-round run with `eval_holdout: 2`
 * - writes both rounds' evaluation (runs/{run}/round={t}/eval/metrics.json), pi_0's samples once;
 * - never trains on a held-out prompt: every generation row and every triplet row of every round's
 *   shards is checked, by prompt id and by text, against the held-out prompts;
 * - carries the table in the run view (GET /v1/runs/{id} `evaluation.table`) and in summary.json,
 *   and `./sppo run` prints it as the rounds finish.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  evalGenerationShardKey,
  evalMetricsKey,
  evalMetricsSchema,
  evalPromptsKey,
  generationRowSchema,
  generationShardKey,
  manifestKey,
  promptPoolRowSchema,
  promptsKey,
  roundManifestSchema,
  runSummaryKey,
  tripletRowSchema,
  tripletShardKey,
  type EvalMetrics,
} from '@sppo/core';
import { startTinyLocalStack, type TinyLocalStack } from '../helpers/local-stack-fixture.ts';
import { fastRunConfig, recipeYaml, testPrompts } from '../helpers/runs.ts';
import { exitOf, sppoCli } from '../helpers/sppo-cli.ts';

const ROUNDS = 2;
const HOLDOUT = 2;
const API_KEY = 'sk-e2e-evaluation-key';
const RUN_DONE_MS = 240_000;
let fixture: TinyLocalStack;
let work: string;
let stack: TinyLocalStack['stack'];
let api: TinyLocalStack['api'];

beforeAll(async () => {
  fixture = await startTinyLocalStack({ name: 'eval', apiKey: API_KEY });
  ({ work, stack, api } = fixture);
}, 90_000);

afterAll(async () => {
  await fixture?.close();
});

const text = async (key: string): Promise<string> => new TextDecoder().decode(await stack.store.getBytes(key));
const jsonl = async <T>(key: string, parse: (v: unknown) => T): Promise<T[]> =>
  (await text(key))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => parse(JSON.parse(l)));

test('a 2-round run with eval_holdout evaluates both rounds, never trains on a held-out prompt, and shows the table', async () => {
  const recipe = join(work, 'recipe.yaml');
  const config = fastRunConfig({
    model: fixture.baseDir,
    rounds: ROUNDS,
    extra: { samples_per_prompt: 3, eval_holdout: HOLDOUT, eval_samples_per_prompt: 2, prompts: testPrompts(4 * ROUNDS + HOLDOUT) },
  });
  await writeFile(recipe, recipeYaml(config));
  const run = sppoCli(['run', recipe, `--gateway=${stack.gatewayUrl}`, `--api-key=${API_KEY}`, '--interval=1']);
  let output = '';
  run.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  run.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => run.kill('SIGKILL'), RUN_DONE_MS);
  const code = await exitOf(run);
  clearTimeout(timer);
  expect(code, `./sppo run:\n${output}`).toBe(0);
  const runId = /run ([a-z0-9-]+):/.exec(output)?.[1] as string;

  // The held-out prompts: stored apart, never in the training pool.
  const held = await jsonl(evalPromptsKey(runId), (v) => promptPoolRowSchema.parse(v));
  expect(held).toHaveLength(HOLDOUT);
  const heldIds = new Set(held.map((p) => p.prompt_id));
  const heldTexts = new Set(held.map((p) => p.prompt));
  const pool = await jsonl(promptsKey(runId), (v) => promptPoolRowSchema.parse(v));
  expect(pool).toHaveLength(4 * ROUNDS);
  expect(pool.filter((p) => heldIds.has(p.prompt_id as string) || heldTexts.has(p.prompt))).toEqual([]);

  // Every row of every training shard, round by round: none is a held-out prompt.
  let rowsChecked = 0;
  for (let t = 0; t < ROUNDS; t++) {
    const manifest = roundManifestSchema.parse(JSON.parse(await text(manifestKey(runId, t))));
    for (const { shard, prompt_ids } of manifest.shards) {
      expect(prompt_ids.filter((id) => heldIds.has(id))).toEqual([]);
      const rows = [
        ...(await jsonl(generationShardKey(runId, t, shard), (v) => generationRowSchema.parse(v))),
        ...(await jsonl(tripletShardKey(runId, t, shard), (v) => tripletRowSchema.parse(v))),
      ];
      for (const row of rows) {
        expect(heldIds.has(row.prompt_id), `round ${t} shard ${shard} row ${row.prompt_id}`).toBe(false);
        expect(heldTexts.has(row.prompt), `round ${t} shard ${shard} row ${row.prompt_id}`).toBe(false);
        rowsChecked += 1;
      }
    }
  }
  expect(rowsChecked).toBe(2 * 4 * ROUNDS); // a generation row and a triplet row per training prompt

  // Both rounds' evaluation in S3, on the held-out prompts, pi_0's samples made once.
  const metrics: EvalMetrics[] = [];
  for (let t = 0; t < ROUNDS; t++) metrics.push(evalMetricsSchema.parse(JSON.parse(await text(evalMetricsKey(runId, t)))));
  expect(metrics.map((m) => [m.round, m.candidate, m.vs_base.baseline, m.vs_previous.baseline])).toEqual([
    [0, 1, 0, 0],
    [1, 2, 0, 1],
  ]);
  for (const m of metrics) {
    expect(m).toMatchObject({ prompts: HOLDOUT, samples_per_prompt: 2, judge_model: 'rule:length' });
    for (const vs of [m.vs_base, m.vs_previous]) {
      expect(vs.comparisons).toBe(HOLDOUT * 2);
      expect(vs.win_rate_ci95[0]).toBeLessThanOrEqual(vs.win_rate);
      expect(vs.win_rate_ci95[1]).toBeGreaterThanOrEqual(vs.win_rate);
    }
    expect(m.mean_response_tokens.map((x) => x.policy)).toEqual(m.round === 0 ? [0, 1] : [0, 1, 2]);
  }
  for (const c of [0, 1, 2]) {
    const samples = await jsonl(evalGenerationShardKey(runId, c, 0), (v) => v as { prompt_id: string });
    expect(new Set(samples.map((s) => s.prompt_id))).toEqual(heldIds);
  }
  // Each checkpoint's samples generated once (the generator's own log): rounds 0 and 1 share pi_0's and pi_1's.
  const started = (await readFile(join(work, 'logs', 'generator.log'), 'utf8'))
    .split('\n')
    .filter((l) => l.includes('eval_generate.started'))
    .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as { run_id: string; policy: number; shard: number })
    .filter((l) => l.run_id === runId);
  expect(started.map((l) => l.policy).sort()).toEqual([0, 1, 2]);

  // The run view and summary.json carry the table.
  const view = await api(`/v1/runs/${runId}`);
  expect(view.status).toBe('completed');
  const evaluation = view.evaluation as { enabled: boolean; prompts: number; table: EvalMetrics[] };
  expect(evaluation).toMatchObject({ enabled: true, prompts: HOLDOUT, every: 1 });
  expect(evaluation.table).toEqual(metrics);
  expect((view.rounds as { evaluation: { phase: string; metrics: EvalMetrics } }[]).map((r) => r.evaluation.phase)).toEqual(['done', 'done']);
  const summary = JSON.parse(await text(runSummaryKey(runId))) as { evaluation: EvalMetrics[]; rounds: { evaluation: EvalMetrics | null }[] };
  expect(summary.evaluation).toEqual(metrics);
  expect(summary.rounds.map((r) => r.evaluation)).toEqual(metrics);
  expect(view.summary).toEqual(summary);
  // So does each round's own view (GET /v1/runs/{id}/rounds/{t}).
  for (const [t, row] of metrics.entries()) {
    const round = await api(`/v1/runs/${runId}/rounds/${t}`);
    expect(round.evaluation).toEqual(row);
    expect((round.links as { evaluation: string }).evaluation).toBe(evalMetricsKey(runId, t));
  }

  // ./sppo run printed the table: its header and one line per evaluated round.
  expect(output).toMatch(/evaluation: judge rule:length on 2 held-out prompt\(s\) x 2 sample\(s\)/);
  expect(output).toMatch(/^0\s+pi_1\s+\d+\.\d \[/m);
  expect(output).toMatch(/^1\s+pi_2\s+\d+\.\d \[/m);
}, RUN_DONE_MS + 60_000);
