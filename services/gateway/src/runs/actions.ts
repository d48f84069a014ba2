/**
 * Cancel, resume and add prompts.
 * - cancel runs the state machine for a `run.cancelled` event right here (its set_status command
 *   writes runs/{run}/status.json, the only writer core allows), so it takes effect before the
 *   answer: the automation reads the status before every event and starts nothing more; units
 *   already queued finish or are skipped by their workers;
 * - resume publishes `run.resumed`; the automation flips the status back to running and re-enqueues
 *   whatever the current round is missing (core's reconcile), so it continues from what exists.
 *   It is asynchronous: 202, and the status changes when the event is handled;
 * - prompts are appended to the pool for rounds that have not started yet.
 */
import type { RunEvent, RunStatus } from '@sppo/core';
import type { z } from 'zod';
import type { actionResultSchema, addPromptsResultSchema } from '../api/schemas.ts';
import { ApiError } from '../http/errors.ts';
import type { GatewayDeps } from '../http/context.ts';
import { checkPromptsPerRun } from '../http/limits.ts';
import { mergePool, readPool, resolvePromptSource, writePool } from './prompts.ts';
import { readStatus, type RunRecord } from './record.ts';
import { handleEvent } from '../automation/handle-event.ts';
import type { PromptSource } from '@sppo/core';

export type ActionResult = z.infer<typeof actionResultSchema>;
export type AddPromptsResult = z.infer<typeof addPromptsResultSchema>;

async function statusOf(deps: GatewayDeps, runId: string): Promise<RunStatus> {
  return (await readStatus(deps.store, runId))?.status ?? 'running';
}

export async function cancelRun(record: RunRecord, reason: string | undefined, deps: GatewayDeps): Promise<ActionResult> {
  const runId = record.run_id;
  const status = await statusOf(deps, runId);
  if (status === 'completed') throw new ApiError(409, 'conflict', `run ${runId} is completed: there is nothing left to cancel`);
  if (status === 'failed') throw new ApiError(409, 'conflict', `run ${runId} failed: nothing is running; resume it with POST /v1/runs/${runId}/resume or leave it`);
  if (status === 'cancelled') return { run_id: runId, status, message: 'the run was already cancelled' };
  await handleEvent({ type: 'run.cancelled', run_id: runId, reason: reason ?? 'cancelled by the user' }, deps);
  return { run_id: runId, status: 'cancelled', message: `cancelled: no new work starts; resume with POST /v1/runs/${runId}/resume` };
}

export async function resumeRun(record: RunRecord, deps: GatewayDeps): Promise<ActionResult> {
  const runId = record.run_id;
  const status = await statusOf(deps, runId);
  if (status === 'running') throw new ApiError(409, 'conflict', `run ${runId} is running: only cancelled or failed runs can be resumed`);
  if (status === 'completed') throw new ApiError(409, 'conflict', `run ${runId} is completed: start a new run to train further`);
  const publish = () => deps.queues.send('events', { type: 'run.resumed', run_id: runId } satisfies RunEvent);
  // A resumed run runs again: it needs a running-runs slot like a new one (http/limits.ts).
  const { limits } = deps;
  if (limits === undefined) await publish();
  else await limits.runs.admit(record.tenant, () => limits.running.count(deps.store, record.tenant), publish);
  deps.logger.info('run.resume_requested', { run_id: runId });
  return { run_id: runId, status, message: 'resume requested: the run continues from what exists once the events worker handles it' };
}

export async function addPrompts(record: RunRecord, source: PromptSource, deps: GatewayDeps): Promise<AddPromptsResult> {
  const runId = record.run_id;
  if ((await statusOf(deps, runId)) === 'completed') throw new ApiError(409, 'conflict', `run ${runId} is completed: no later round will use new prompts`);
  const existing = await readPool(deps.store, runId);
  const added = await resolvePromptSource(source, { store: deps.store, tenant: record.tenant, offset: existing.length });
  // Read-modify-write of one object: two concurrent additions to the same run may lose one
  // (S3 conditional writes are not available on every store, e.g. the emulator).
  const pool = mergePool(existing, added);
  checkPromptsPerRun(deps.limits?.settings, pool.length, { adding: added.length });
  await writePool(deps.store, runId, pool);
  return { run_id: runId, added: added.length, prompt_count: pool.length };
}
