// `./sppo demo` in small: the demo's own assets (a tiny pi_0 by SFT, a mini-PairRM judge) built from
// seeds, the local stack (emulator, gateway, events worker, the three services as processes), a
// 2-round run submitted through the HTTP API, then the pipeline's invariants checked on the run's
// objects as the demo copied them to disk, and the report checked for completeness.
import { readFile, readdir, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkpointPrefix,
  generationShardKey,
  isPairTripletRow,
  manifestKey,
  parseJsonl,
  preferenceMatrixFromScores,
  roundManifestSchema,
  selectPair,
  tripletRowSchema,
  tripletShardKey,
  winRates,
  generationRowSchema,
} from '@sppo/core';
import {
  createProgressDisplay,
  DEFAULT_RUN_RECIPE,
  demoReportSchema,
  ensureDemoAssets,
  formatFooter,
  renderChartPng,
  runDemo,
  singleReport,
  STYLES,
  tvToStyleMix,
  type AssetRecipe,
  type DemoResult,
  type DemoStack,
} from '@sppo/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoStack } from '../packages/cli/src/commands/demo.ts';
import type { LocalStack } from '../packages/cli/src/local-stack.ts';

const ROUNDS = 2;
const K = 4;
/** The demo recipe's selection: 'all' writes one row per response (eq. 4.7 per sample), 'extremes' one pair per prompt. */
const SELECTION = DEFAULT_RUN_RECIPE.selection ?? 'extremes';
const ROWS_PER_PROMPT = SELECTION === 'all' ? K : 1;

/** Small enough for ~1 minute on 2 cores; same code paths as the real demo. */
const RECIPE: AssetRecipe = {
  data: { seed: 5, heldOutPrompts: 9, poolPrompts: 24, pretrainExamples: 300, sftExamples: 600, sftCorrectRate: 0.5, sftMistakes: 'listed', judgePairs: 300, judgeStylePairRate: 0.2 },
  policy: {
    preset: 'tiny',
    vocabSize: 320,
    contextLength: 64,
    seed: 1,
    // the two stages of the demo's pi_0 (recipe.ts)
    pretrain: { optim: 'adamw', learning_rate: 3e-3, num_train_epochs: 1, per_device_train_batch_size: 32, max_length: 48, max_prompt_length: 32, seed: 1, logging_steps: 10 },
    sft: { optim: 'adamw', learning_rate: 3e-3, num_train_epochs: 4, per_device_train_batch_size: 32, max_length: 48, max_prompt_length: 32, seed: 1, logging_steps: 10 },
  },
  judge: { num_train_epochs: 1, per_device_train_batch_size: 32, add_prefix_space: 1, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 320, max_source_tokens: 32, max_candidate_tokens: 16, seed: 3 },
};

describe('./sppo demo, small', () => {
  let dir: string;
  let stack: (LocalStack & DemoStack) | undefined;
  let result: DemoResult;
  let assetInfo: Record<string, number | string | boolean>;
  let artifacts: string;
  let runId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sppo-demo-e2e-'));
    const assets = await ensureDemoAssets({ cacheRoot: join(dir, 'cache'), recipe: RECIPE });
    assetInfo = assets.info;
    stack = await startDemoStack(join(dir, 'stack'));
    result = await runDemo({
      stack,
      assets,
      recipe: { num_iterations: ROUNDS, samples_per_prompt: K, prompts_per_iteration: 8, prompts_per_shard: 4, num_train_epochs: 1, per_device_train_batch_size: 4 },
      evaluation: { samplesPerPrompt: 2 },
      artifactsRoot: join(dir, 'artifacts'),
      display: createProgressDisplay({ write: () => undefined, tty: false }),
      timeoutMs: 150_000,
    });
    runId = result.reports[0]?.run_id ?? '';
    artifacts = join(dir, 'artifacts');
  }, 280_000);

  afterAll(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const text = (key: string): Promise<string> => readFile(join(artifacts, ...key.split('/')), 'utf8');

  it('builds pi_0 in its two stages (all-correct rows, then the mixed SFT rows)', () => {
    // batch 32: 300 all-correct rows for one epoch, then 600 mixed rows for four
    expect(assetInfo['pretrain/steps']).toBe(10);
    expect(assetInfo['sft/steps']).toBe(4 * 19);
  });

  it('leaves every round manifest, shard and checkpoint on disk, checkpoints chained round to round', async () => {
    for (let t = 0; t < ROUNDS; t++) {
      const manifest = roundManifestSchema.parse(JSON.parse(await text(manifestKey(runId, t))));
      // round t samples from and references checkpoint t
      expect(manifest.checkpoint_key.replace(/\/?$/, '/')).toBe(checkpointPrefix(runId, t));
      expect(manifest.shards).toHaveLength(2);
      for (const { shard } of manifest.shards) {
        const generations = parseJsonl(await text(generationShardKey(runId, t, shard)), generationRowSchema);
        expect(generations).toHaveLength(4);
        for (const row of generations) expect(row.responses).toHaveLength(K);
        const triplets = parseJsonl(await text(tripletShardKey(runId, t, shard)), tripletRowSchema);
        expect(triplets).toHaveLength(4 * ROWS_PER_PROMPT);
      }
    }
    for (let t = 0; t <= ROUNDS; t++) {
      const files = await readdir(join(artifacts, ...checkpointPrefix(runId, t).split('/').filter(Boolean)));
      expect(files).toEqual(expect.arrayContaining(['_COMPLETE', 'config.json', 'model.safetensors', 'model.onnx', 'tokenizer.json']));
    }
  });

  it('writes triplet rows that agree with the core maths (P from rm_scores, win rates, selected pair or every response)', async () => {
    const content = (m: unknown): string => (Array.isArray(m) ? String((m.at(-1) as { content: string }).content) : String(m));
    for (let t = 0; t < ROUNDS; t++) {
      for (const shard of [0, 1]) {
        const indices = new Map<string, number[]>();
        for (const row of parseJsonl(await text(tripletShardKey(runId, t, shard)), tripletRowSchema)) {
          expect(isPairTripletRow(row)).toBe(SELECTION !== 'all');
          // official aggregation: P_ij = sigmoid(s_i - s_j) of the stored PairRM scores
          const p = preferenceMatrixFromScores(row.rm_scores);
          row.probability.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(p[i]?.[j] as number, 10)));
          const rates = winRates(row.probability, 'include_self');
          if (!isPairTripletRow(row)) {
            // selection 'all': the row's response with its own win rate P-hat(y > pi_t | x)
            expect(row.win_rate).toBeCloseTo(rates[row.response_index] as number, 10);
            expect(content(row.response)).toBe(row.responses[row.response_index]);
            indices.set(row.prompt_id, [...(indices.get(row.prompt_id) ?? []), row.response_index]);
            continue;
          }
          const { winner, loser } = selectPair(row.rm_scores);
          expect(row.chosen_probs_win).toBeCloseTo(rates[winner] as number, 10);
          expect(row.chosen_probs_lose).toBeCloseTo(rates[loser] as number, 10);
          expect(row.chosen_probs).toBeCloseTo(row.probability[winner]?.[loser] as number, 10);
          expect(content(row.chosen)).toBe(row.responses[winner]);
          expect(content(row.rejected)).toBe(row.responses[loser]);
        }
        // 'all': every prompt has one row per response, indices 0..K-1
        for (const got of indices.values()) expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: K }, (_, i) => i));
        if (SELECTION === 'all') expect(indices.size).toBe(4);
      }
    }
  });

  it('reports every policy with win rates, intervals, length, styles and loss, and charts it', async () => {
    const report = demoReportSchema.parse(singleReport(result, 1));
    expect(report.rounds.map((r) => r.round)).toEqual([0, 1, 2]);
    expect(report.rounds[0]?.win_rate_vs_prev).toBeNull();
    expect(report.rounds[0]?.loss).toBeNull();
    for (const r of report.rounds.slice(1)) {
      expect(r.win_rate_vs_prev).not.toBeNull();
      expect(typeof r.loss).toBe('number');
    }
    for (const r of report.rounds) {
      const { oracle, judge, ci95 } = r.win_rate_vs_base;
      expect(ci95.oracle[0]).toBeLessThanOrEqual(oracle);
      expect(ci95.oracle[1]).toBeGreaterThanOrEqual(oracle);
      expect(ci95.judge[0]).toBeLessThanOrEqual(judge);
      expect(r.mean_response_tokens).toBeGreaterThan(0);
      const f = r.style_distribution.fractions;
      expect(f.plain + f.formal + f.warm + f.malformed).toBeCloseTo(1, 10);
    }
    if (report.judge_agreement !== null) expect(report.judge_agreement).toBeGreaterThanOrEqual(0);
    // the Nash behaviour: each preference's style game and its Nash mix, and each round's distance to both
    const games = report.style_games;
    for (const s of STYLES) expect(games.oracle.nash[s]).toBeCloseTo(1 / 3, 10);
    for (const game of [games.oracle, games.judge]) {
      const mix = STYLES.map((s) => game.nash[s]);
      expect(mix.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
      game.preference.forEach((row, i) => row.forEach((p, j) => expect(p + (game.preference[j]?.[i] as number)).toBeCloseTo(1, 10)));
      // no style beats the Nash mix in its own game
      for (const row of game.preference) expect(row.reduce((sum, p, j) => sum + (p - 0.5) * (mix[j] as number), 0)).toBeLessThan(1e-9);
    }
    for (const r of report.rounds) {
      const d = r.style_distribution;
      expect(d.judge_nash).toEqual(games.judge.nash);
      expect(d.tv_to_judge_nash).toBeCloseTo(tvToStyleMix(d.fractions, games.judge.nash) as number, 12);
      expect(d.tv_to_nash).toBeCloseTo(tvToStyleMix(d.fractions, games.oracle.nash) as number, 12);
    }
    expect(formatFooter(report, [])).toContain('Nash mix over styles');
    // The run's own evaluation stage (issue 21) on the same held-out prompts, beside the oracle.
    expect(report.rounds[0]?.stage_evaluation).toBeNull();
    const heldOut = (report.setup as { held_out_prompts: number }).held_out_prompts;
    for (const r of report.rounds.slice(1)) {
      const stage = r.stage_evaluation;
      expect(stage).not.toBeNull();
      expect(stage?.prompts).toBe(heldOut);
      expect(stage?.samples_per_prompt).toBe(2);
      const metrics = JSON.parse(await text(`runs/${runId}/round=${r.round - 1}/eval/metrics.json`)) as { candidate: number; vs_base: { win_rate: number; lc_win_rate: number }; vs_previous: { win_rate: number } };
      expect(metrics.candidate).toBe(r.round);
      expect(stage?.vs_base.win_rate).toBe(metrics.vs_base.win_rate);
      expect(stage?.vs_base.lc_win_rate).toBe(metrics.vs_base.lc_win_rate);
      expect(stage?.vs_prev.win_rate).toBe(metrics.vs_previous.win_rate);
      for (const v of [stage!.vs_base, stage!.vs_prev]) {
        expect(v.ci95[0]).toBeLessThanOrEqual(v.win_rate);
        expect(v.ci95[1]).toBeGreaterThanOrEqual(v.win_rate);
      }
    }
    expect(report.artifacts_dir).toBe(join(artifacts, 'runs', runId));
    const png = await renderChartPng(report);
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });
});
