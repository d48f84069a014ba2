/**
 * POST /v1/runs: validate the config, store the prompt pool and run.json, then start round 0 by
 * publishing `run.created` to the events queue. The events worker, the one host of the round state
 * machine, consumes it like every other event; the API never enqueues work itself, so there is a
 * single writer of manifests and markers (see README "Where the state machine runs").
 */
import { evalPromptsKey, parseRunConfig, promptsKey, promptsPerRound, runConfigKey, type RunEvent } from '@sppo/core';
import type { z } from 'zod';
import { ApiError } from '../http/errors.ts';
import type { GatewayDeps } from '../http/context.ts';
import { checkPromptsPerRun } from '../http/limits.ts';
import type { runCreatedSchema } from '../api/schemas.ts';
import { mintRunId } from '../tenants.ts';
import { copyBaseCheckpoint, planBaseCheckpoint } from './base-checkpoint.ts';
import { resolveEvalPrompts, writeEvalPrompts } from './eval-prompts.ts';
import { mergePool, resolvePromptSource, writePool } from './prompts.ts';
import { shardsPerRound, writeStatus, type RunRecord } from './record.ts';

export type RunCreated = z.infer<typeof runCreatedSchema>;

/**
 * Everything is read and validated first (config, the tenant's running runs and prompts per run
 * limits, prompt source, the base model's source and tenancy), so a refused request leaves no
 * object behind. Then the writes, in order: prompts pool, checkpoint 0 (copied when the base model
 * is in the bucket), run.json, the run.created event.
 */
export async function createRun(body: unknown, tenant: string, deps: GatewayDeps): Promise<RunCreated> {
  const config = parseRunConfig(body);
  const { limits, store } = deps;
  // The running-runs slot is held until run.json exists (http/limits.ts RunAdmission).
  if (limits === undefined) return createAdmitted(config, tenant, deps);
  return limits.runs.admit(tenant, () => limits.running.count(store, tenant), () => createAdmitted(config, tenant, deps));
}

async function createAdmitted(config: ReturnType<typeof parseRunConfig>, tenant: string, { store, queues, now, logger, limits }: GatewayDeps): Promise<RunCreated> {
  const createdAt = now();
  const runId = mintRunId(tenant, createdAt);
  // The evaluation prompts (issue 21) are split off or resolved first: a held-out prompt never
  // enters the training pool, so no round can train on it.
  const { pool, evalPrompts } = await resolveEvalPrompts(config, mergePool([], await resolvePromptSource(config.prompts, { store, tenant })), { store, tenant });
  checkPromptsPerRun(limits?.settings, pool.length + evalPrompts.length);
  // Resolve "0 = pool size / num_iterations" once, so every round has the same shard count even
  // if prompts are added later (core's roundShardCount is then independent of the pool size).
  const perRound = promptsPerRound({ poolSize: pool.length, numIterations: config.num_iterations, promptsPerIteration: config.prompts_per_iteration });
  const resolved = parseRunConfig({
    ...config,
    prompts: { key: promptsKey(runId) },
    prompts_per_iteration: perRound,
    ...(evalPrompts.length === 0 ? {} : { eval_prompts: { key: evalPromptsKey(runId) } }),
  });
  const record: RunRecord = {
    run_id: runId,
    tenant,
    created_at: createdAt.toISOString(),
    config: resolved,
    ...(evalPrompts.length === 0 ? {} : { eval_prompt_count: evalPrompts.length }),
  };
  const basePlan = await planBaseCheckpoint(store, resolved.model_name_or_path, tenant);

  // Nothing was written until here. The pool and checkpoint 0 first, run.json last: run.json's
  // existence is what makes the run exist.
  await writePool(store, runId, pool);
  if (evalPrompts.length > 0) await writeEvalPrompts(store, runId, evalPrompts);
  const base = await copyBaseCheckpoint(store, runId, basePlan);
  await store.put(runConfigKey(runId), `${JSON.stringify(record, null, 2)}\n`, 'application/json');
  try {
    await queues.send('events', { type: 'run.created', run_id: runId } satisfies RunEvent);
  } catch (error) {
    // The run exists but nothing will start it: mark it failed so that resume starts it.
    logger.error('run.start_failed', { run_id: runId, error });
    await writeStatus(store, { run_id: runId, status: 'failed', updated_at: now().toISOString(), reason: 'could not publish run.created to the events queue' }).catch(() => {});
    throw new ApiError(503, 'unavailable', `run ${runId} was stored but could not be started (events queue unreachable): retry later with POST /v1/runs/${runId}/resume`);
  }
  logger.info('run.created', { run_id: runId, tenant, prompts: pool.length, num_iterations: resolved.num_iterations, base_checkpoint: base.kind });
  return {
    run_id: runId,
    status: 'running',
    created_at: record.created_at,
    num_iterations: resolved.num_iterations,
    shards_per_round: shardsPerRound(resolved, pool.length),
    prompt_count: pool.length,
    ...(evalPrompts.length === 0 ? {} : { eval_prompt_count: evalPrompts.length }),
    links: { self: `/v1/runs/${runId}`, rounds: `/v1/runs/${runId}/rounds/{t}` },
  };
}
