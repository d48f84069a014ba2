/**
 * One demo run through the system as a user drives it: the cached models are uploaded to the
 * bucket, the run is submitted with POST /v1/runs, the rounds follow each other on their own (the
 * events worker and the three services), GET /v1/runs/{id} is polled for the live display, and
 * at the end the run's objects are copied to a local folder (plain files under their S3 keys),
 * whose checkpoints are then evaluated on the held-out prompts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mapWithConcurrency, type ObjectStore } from '@sppo/cloud';
import { checkpointPrefix, roundMetricsKey, type ApiSchemas, type RunConfigInput } from '@sppo/core';
import type { DemoAssets } from './assets.ts';
import type { ProgressDisplay } from './progress.ts';

/** GET /v1/runs/{id}, as the API's document types it (core's generated ApiSchemas). */
export type RunView = ApiSchemas['RunView'];

/**
 * The API calls the demo makes. packages/cli implements them with the gateway's typed client
 * (openapi-fetch over the types generated from /openapi.json); this package depends on neither,
 * only on the generated types in core. A non-2xx answer rejects with a DemoRunError.
 */
export interface DemoApi {
  createRun(config: ApiSchemas['RunConfig']): Promise<ApiSchemas['RunCreated']>;
  getRun(runId: string): Promise<RunView>;
}

/** What the system under the demo must provide (packages/cli's demo command starts it). */
export interface DemoStack {
  api: DemoApi;
  store: ObjectStore;
}

export const DEMO_LOSS_TYPES = ['sppo', 'sigmoid', 'ipo'] as const;
export type DemoLossType = (typeof DEMO_LOSS_TYPES)[number];

export class DemoRunError extends Error {
  override name = 'DemoRunError';
}

/** Uploads a cached folder to `prefix` unless it is there already (`_COMPLETE` last). */
async function ensureUploaded(store: ObjectStore, dir: string, prefix: string): Promise<void> {
  if (await store.exists(`${prefix}_COMPLETE`)) return;
  await store.uploadFolder(dir, prefix, { lastFile: '_COMPLETE' });
}

export interface ModelPrefixes {
  base: string;
  judge: string;
}

export async function uploadAssets(store: ObjectStore, assets: DemoAssets): Promise<ModelPrefixes> {
  const root = `models/demo-${String(assets.info['hash'] ?? 'assets')}/`;
  const prefixes = { base: `${root}base/`, judge: `${root}judge/` };
  await ensureUploaded(store, assets.baseDir, prefixes.base);
  await ensureUploaded(store, assets.judgeDir, prefixes.judge);
  return prefixes;
}

/**
 * The run's config. With `evaluation`, the run's own evaluation stage (issue 21) samples the same
 * held-out prompts from every new policy and judges them against pi_0 and pi_t with the run's
 * judge, so the report can set its numbers beside the oracle's.
 */
export function demoRunConfig(
  assets: DemoAssets,
  models: ModelPrefixes,
  recipe: RunConfigInput,
  judgeBudgets: { source: number; candidate: number },
  evaluation?: { prompts: readonly { prompt_id: string; prompt: string }[]; samplesPerPrompt: number },
): RunConfigInput {
  return {
    ...recipe,
    model_name_or_path: models.base.replace(/\/$/, ''),
    judge_model: models.judge.replace(/\/$/, ''),
    judge_max_source_tokens: judgeBudgets.source,
    judge_max_candidate_tokens: judgeBudgets.candidate,
    prompts: assets.data.pool.map((p) => ({ prompt_id: p.prompt_id, prompt: p.prompt })),
    ...(evaluation === undefined
      ? {}
      : {
          // Suffixed ids: the held-out set may hold the same task prompt twice (as the pool does).
          eval_prompts: evaluation.prompts.map((p, i) => ({ prompt_id: `${p.prompt_id}-e${i}`, prompt: p.prompt })),
          eval_samples_per_prompt: evaluation.samplesPerPrompt,
        }),
  };
}

export interface FollowOptions {
  display: ProgressDisplay;
  label?: string;
  pollMs?: number;
  /** Give up (and say where the run stood) after this long. */
  timeoutMs?: number;
}

/** Polls the run until it completes; throws with the failure records if it fails or stalls. */
export async function followRun(stack: DemoStack, runId: string, { display, label = '', pollMs = 500, timeoutMs = 30 * 60_000 }: FollowOptions): Promise<RunView> {
  const started = Date.now();
  const finished = new Set<number>();
  for (;;) {
    const view = await stack.api.getRun(runId);
    for (const r of view.rounds) {
      if (r.checkpoint_complete && !finished.has(r.round)) {
        finished.add(r.round);
        const loss = r.metrics?.train?.['train/loss'];
        display.log(`${label}round ${r.round + 1}/${view.num_iterations} done: checkpoint ${r.round + 1} ready${loss === undefined ? '' : `, train loss ${Number(loss).toPrecision(3)}`}`);
      }
    }
    if (view.status === 'completed') return view;
    if (Date.now() - started > timeoutMs) {
      throw new DemoRunError(`run ${runId} did not finish within ${Math.round(timeoutMs / 1000)} s: it is at round ${view.current_round ?? 'last'}, stage ${view.stage}. See the services' logs.`);
    }
    if (view.status === 'failed' || view.status === 'cancelled' || view.failures.length > 0) {
      const reasons = view.failures.map((f) => `${f.stage} round ${f.round}${f.shard === undefined ? '' : ` shard ${f.shard}`}: ${f.reason}`);
      throw new DemoRunError(`run ${runId} ${view.status === 'running' ? 'has failed units' : view.status}${view.status_reason ? ` (${view.status_reason})` : ''}${reasons.length ? `:\n  ${reasons.join('\n  ')}` : ''}`);
    }
    if (view.current_round === null) {
      await new Promise((r) => setTimeout(r, pollMs)); // every checkpoint exists; status.json follows
      continue;
    }
    const t = view.current_round;
    const round = view.rounds.find((r) => r.round === t);
    const train = round?.metrics?.train;
    const stepsDone = Number(train?.['step'] ?? train?.['train/steps'] ?? 0);
    const stepsTotal = Number(train?.['train/total_steps'] ?? train?.['total_steps'] ?? 0);
    const shards =
      view.stage === 'generating'
        ? { label: 'generated', done: view.progress.generated, total: view.progress.shards }
        : view.stage === 'judging'
          ? { label: 'judged', done: view.progress.judged, total: view.progress.shards }
          : undefined;
    display.update({
      scope: `${label}round ${t + 1}/${view.num_iterations}`,
      stage: view.stage,
      ...(shards ? { shards } : {}),
      ...(view.stage === 'training' && stepsTotal > 0 ? { steps: { done: stepsDone, total: stepsTotal } } : {}),
    });
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Copies every object under `prefix` to `dir`, as plain files under their keys. */
export async function downloadPrefix(store: ObjectStore, prefix: string, dir: string): Promise<number> {
  const objects = await store.list(prefix);
  await mapWithConcurrency(objects, 8, async (o) => {
    const path = join(dir, ...o.key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await store.getBytes(o.key));
  });
  return objects.length;
}

export interface SubmittedRun {
  runId: string;
  view: RunView;
  /** Local folder holding runs/{run}/... */
  artifactsDir: string;
  checkpointDirs: string[];
  /** Mean training loss of round t-1 at index t (index 0: null). */
  losses: (number | null)[];
}

export interface SubmitDemoRunOptions {
  stack: DemoStack;
  config: RunConfigInput;
  artifactsRoot: string;
  display: ProgressDisplay;
  label?: string;
  timeoutMs?: number;
}

/** Submits the run, follows it to the end and copies its objects locally. */
export async function submitAndFollow({ stack, config, artifactsRoot, display, label = '', timeoutMs }: SubmitDemoRunOptions): Promise<SubmittedRun> {
  const created = await stack.api.createRun(config);
  const runId = created.run_id;
  display.log(`${label}run ${runId} submitted: ${created.prompt_count} prompts, ${created.shards_per_round} shards per round`);
  const view = await followRun(stack, runId, { display, label, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  display.update({ scope: `${label}artifacts`, stage: 'downloading the run' });
  const count = await downloadPrefix(stack.store, `runs/${runId}/`, artifactsRoot);
  display.log(`${label}run ${runId} completed; ${count} objects copied to ${artifactsRoot}`);
  const checkpointDirs: string[] = [];
  const losses: (number | null)[] = [null];
  for (let t = 0; t <= view.num_iterations; t++) checkpointDirs.push(join(artifactsRoot, ...checkpointPrefix(runId, t).split('/').filter(Boolean)));
  for (let t = 0; t < view.num_iterations; t++) {
    const train = view.rounds.find((r) => r.round === t)?.metrics?.train;
    const loss = train?.['train/loss'];
    losses.push(typeof loss === 'number' ? loss : await lossFromMetricsFile(stack.store, runId, t));
  }
  return { runId, view, artifactsDir: join(artifactsRoot, 'runs', runId), checkpointDirs, losses };
}

async function lossFromMetricsFile(store: ObjectStore, runId: string, t: number): Promise<number | null> {
  try {
    const metrics = (await store.getJson(roundMetricsKey(runId, t))) as { train?: { summary?: Record<string, unknown> } };
    const loss = metrics.train?.summary?.['train/loss'];
    return typeof loss === 'number' ? loss : null;
  } catch {
    return null;
  }
}
