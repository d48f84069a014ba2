/**
 * The whole demo on a running stack: upload the cached models, one run per loss type (the same
 * task, budget and seeds), each followed to its end, then every run's checkpoints evaluated on
 * the held-out prompts and put into the report (report.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyOverrides, type RunConfigInput } from '@sppo/core';
import { loadPairwiseJudge, type PairwiseJudge } from '@sppo/model';
import type { DemoAssets } from './assets.ts';
import { evaluatePolicies, type PolicySamples, type SamplingSettings } from './evaluate.ts';
import type { ProgressDisplay } from './progress.ts';
import type { EvalMetrics } from '@sppo/core';
import type { CompareReport, DemoReport, OracleRoundReport, RoundReport } from './report.ts';
import { DEFAULT_RUN_RECIPE } from './recipe.ts';
import { demoRunConfig, submitAndFollow, uploadAssets, type DemoLossType, type DemoStack } from './run.ts';

export interface EvaluationSettings {
  /** Samples per held-out prompt and policy (each as player and as opponent). */
  samplesPerPrompt: number;
  /** Evaluate on at most this many prompts of the split (default: all of them). */
  maxPrompts?: number;
  /** 'held-out' (the report's) or 'validation' (for tuning choices, scripts/tune.ts). Default 'held-out'. */
  split?: EvaluationSplit;
  threads?: number;
}

export const EVALUATION_SPLITS = ['held-out', 'validation'] as const;
export type EvaluationSplit = (typeof EVALUATION_SPLITS)[number];

export const DEFAULT_EVALUATION: EvaluationSettings = { samplesPerPrompt: 8 };

export interface RunDemoOptions {
  stack: DemoStack;
  assets: DemoAssets;
  /** One run per loss type, in order. */
  lossTypes?: readonly DemoLossType[];
  /** Run config fields over DEFAULT_RUN_RECIPE (validated by core's schema). */
  recipe?: RunConfigInput;
  overrides?: Record<string, string>;
  evaluation?: EvaluationSettings;
  /** Where the runs' objects are copied (plain files under their S3 keys). */
  artifactsRoot: string;
  display: ProgressDisplay;
  timeoutMs?: number;
}

export interface DemoResult {
  reports: DemoReport[];
  /** null when the oracle decided no evaluation pair. */
  judgeAgreement: number | null;
  elapsedS: number;
}

export async function runDemo({
  stack,
  assets,
  lossTypes = ['sppo'],
  recipe = {},
  overrides = {},
  evaluation = DEFAULT_EVALUATION,
  artifactsRoot,
  display,
  timeoutMs,
}: RunDemoOptions): Promise<DemoResult> {
  const started = performance.now();
  display.update({ scope: 'setup', stage: 'uploading the base policy and the judge to the bucket' });
  const models = await uploadAssets(stack.store, assets);
  const judgeConfig = await readJudgeBudgets(assets.judgeDir);
  const split = evaluation.split ?? 'held-out';
  const all = split === 'validation' ? assets.data.validation : assets.data.heldOut;
  if (all.length === 0) throw new Error(`runDemo: evaluation.split '${split}' has no prompts; set the asset recipe's data.${split === 'validation' ? 'validationPrompts' : 'heldOutPrompts'} above 0`);
  const prompts = evaluation.maxPrompts === undefined ? all : all.slice(0, evaluation.maxPrompts);
  const sampleCache = new Map<string, PolicySamples>();
  const reports: DemoReport[] = [];
  let decided = 0;
  let agreed = 0;
  let judge: PairwiseJudge | undefined;
  try {
    for (const lossType of lossTypes) {
      const runStarted = performance.now();
      const label = lossTypes.length > 1 ? `${lossType} ` : '';
      // DPO and IPO are pairwise losses: they train on each prompt's (best, worst) pair of the same
      // samples and judge scores ('extremes'), where SPPO's recipe may give every response its own
      // win rate ('all', eq. 4.7 per response).
      const pairwise = lossType === 'sppo' ? {} : { selection: 'extremes' as const };
      const config = applyOverrides(
        demoRunConfig(assets, models, { ...DEFAULT_RUN_RECIPE, ...recipe, ...pairwise, loss_type: lossType }, judgeConfig, { prompts, samplesPerPrompt: evaluation.samplesPerPrompt }),
        overrides,
      );
      const run = await submitAndFollow({ stack, config, artifactsRoot, display, label, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
      // The judge service was given the same folder (uploaded); here it runs in this process. The
      // main thread: a worker-thread judge next to the sampling engine's sessions stalled here.
      judge ??= await loadPairwiseJudge(assets.judgeDir, { thread: 'main', maxSourceTokens: judgeConfig.source, maxCandidateTokens: judgeConfig.candidate });
      const sampling: SamplingSettings = {
        samplesPerPrompt: evaluation.samplesPerPrompt,
        temperature: config.temperature,
        topP: config.top_p,
        maxNewTokens: config.max_new_tokens,
        ...(evaluation.threads === undefined ? {} : { threads: evaluation.threads }),
      };
      // pi_0 is the same model in every run (checkpoints/0 is a copy of the cached base): sample it once.
      const checkpoints = [assets.baseDir, ...run.checkpointDirs.slice(1)];
      const ev = await evaluatePolicies({
        checkpoints,
        prompts,
        judge,
        sampling,
        losses: run.losses,
        sampleCache,
        onProgress: (line) => display.update({ scope: `${label}evaluate`, stage: line.replace(/^evaluate: /, '') }),
      });
      decided += ev.decidedPairs;
      agreed += ev.agreedPairs;
      reports.push({
        loss_type: lossType,
        rounds: withStageEvaluation(ev.rounds, run.view.evaluation.table),
        judge_agreement: ev.decidedPairs === 0 ? null : ev.judgeAgreement,
        elapsed_s: (performance.now() - runStarted) / 1000,
        run_id: run.runId,
        artifacts_dir: run.artifactsDir,
        style_games: ev.styleGames,
        setup: {
          num_iterations: config.num_iterations,
          samples_per_prompt: config.samples_per_prompt,
          prompts_per_iteration: config.prompts_per_iteration,
          loss_type: config.loss_type,
          selection: config.selection,
          beta: config.beta,
          learning_rate: config.learning_rate,
          optim: config.optim,
          num_train_epochs: config.num_train_epochs,
          temperature: config.temperature,
          top_p: config.top_p,
          eval_split: split,
          held_out_prompts: prompts.length,
          eval_samples_per_prompt: evaluation.samplesPerPrompt,
          judge_decided_pairs: ev.decidedPairs,
          judge_train_eval_accuracy: assets.info['judge/eval_accuracy'] ?? null,
          base_checkpoint: run.checkpointDirs[0],
          assets_cached: assets.info['cached'] ?? null,
        },
      });
      display.log(`${label}evaluated ${ev.rounds.length} policies on ${prompts.length} held-out prompts`);
    }
  } finally {
    await judge?.close?.();
    display.done();
  }
  return { reports, judgeAgreement: decided === 0 ? null : agreed / decided, elapsedS: (performance.now() - started) / 1000 };
}

/** The judge folder's input budgets (config.json source_maxlength / candidate_maxlength, PairRM's defaults otherwise). */
export async function readJudgeBudgets(dir: string): Promise<{ source: number; candidate: number }> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { source_maxlength?: number; candidate_maxlength?: number };
  return { source: config.source_maxlength ?? 1224, candidate: config.candidate_maxlength ?? 412 };
}

/** The report of one run, with the demo-wide fields filled in. */
/**
 * Joins the run's evaluation stage (its table in the run view: row t compares checkpoint t + 1
 * with pi_0 and pi_t) to the oracle's rounds. A round without a stage row (the base) gets null.
 */
export function withStageEvaluation(rounds: readonly OracleRoundReport[], table: readonly EvalMetrics[]): RoundReport[] {
  const versus = (v: EvalMetrics['vs_base']): NonNullable<RoundReport['stage_evaluation']>['vs_base'] => ({
    win_rate: v.win_rate,
    ci95: [v.win_rate_ci95[0] ?? 0, v.win_rate_ci95[1] ?? 1],
    lc_win_rate: v.lc_win_rate,
    lc_ci95: [v.lc_win_rate_ci95[0] ?? 0, v.lc_win_rate_ci95[1] ?? 1],
  });
  return rounds.map((r) => {
    const row = table.find((e) => e.candidate === r.round);
    return {
      ...r,
      stage_evaluation:
        row === undefined ? null : { vs_base: versus(row.vs_base), vs_prev: versus(row.vs_previous), samples_per_prompt: row.samples_per_prompt, prompts: row.prompts },
    };
  });
}

export function singleReport(result: DemoResult, elapsedS: number): DemoReport {
  const report = result.reports[0];
  if (report === undefined) throw new Error('runDemo produced no report');
  return { ...report, judge_agreement: result.judgeAgreement, elapsed_s: elapsedS };
}

export function compareReport(result: DemoResult, elapsedS: number): CompareReport {
  return { compare: result.reports, judge_agreement: result.judgeAgreement, elapsed_s: elapsedS };
}
