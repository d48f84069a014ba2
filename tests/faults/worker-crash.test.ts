/**
 * Workers killed with SIGKILL in the middle of a unit (issue 10, part 1): the generator while it
 * writes its shard, the judge while it writes its triplets, the trainer half-way through uploading
 * checkpoint 1 (some files up, `_COMPLETE` not). Each time the unit's message comes back after the
 * queue's short visibility timeout, a fresh process redoes it, and the round completes with exactly
 * one row per prompt and one complete, self-consistent checkpoint (every file matches the
 * `_COMPLETE` record: nothing of the killed upload survives). While checkpoint 1 is torn the run is
 * not done: without `_COMPLETE` the checkpoint does not exist.
 *
 * The run evaluates its checkpoint (issue 21: eval_holdout), and the judge is killed a second time
 * while it writes the evaluation's judgments: the eval_judge unit is redone the same way and the
 * run completes only once its evaluation is written, one row per prompt.
 *
 * The events worker (the round state machine's host) is killed too, after it sent the train task
 * and before it wrote the `_enqueued/train` marker: the stage is neither lost nor run twice (the
 * redelivered event may enqueue train again, a duplicate the trainer absorbs: one checkpoint).
 *
 * "Mid-unit" is made deterministic by each worker's fault proxy: it holds the chosen S3 PUT (the
 * process is then stuck inside its handler, message in flight), and the test kills it there.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkpointCompleteKey, checkpointPrefix } from '@sppo/core';
import { checkpointProblems } from '../helpers/checkpoints.ts';
import { auditEvaluation } from '../helpers/eval-audit.ts';
import { reportFigures } from '../helpers/figures.ts';
import { auditRun, createRun, fastRunConfig, rowDefects, runView, testPrompts, waitForRun, within, type RunAudit } from '../helpers/runs.ts';
import { startSystem, type System } from '../helpers/system.ts';
import { uploadTinyModel } from '../helpers/tiny-model.ts';

let system: System;
let model: string;
let audit: RunAudit | undefined;
const figures = { faults_injected: 0, units_redone: 0, rows_lost: 0, rows_duplicated: 0, checkpoints_lost: 0, torn_checkpoints_used: 0 };

beforeAll(async () => {
  system = await startSystem({ visibilitySeconds: 3, maxReceiveCount: 5 });
  model = await uploadTinyModel(system.objects);
});

afterAll(async () => {
  reportFigures('faults/worker-crash', figures);
  await system?.stop();
});

const isPut = (pattern: RegExp) => (r: { method: string; key?: string }) => r.method === 'PUT' && r.key !== undefined && pattern.test(r.key);

test('generator, judge and trainer killed mid-unit: the round completes with one row per prompt and one checkpoint', async () => {
  const { proxies, processes } = system;
  const genHeld = proxies.generator.on(isPut(/\/generations\/shard=0\.jsonl$/), { kind: 'hold' });
  const judgeHeld = proxies.judge.on(isPut(/\/triplets\/shard=\d+\.jsonl$/), { kind: 'hold' });
  // The round state machine's host, between sending the train task and writing its marker.
  const eventsHeld = proxies.events.on(isPut(/\/_enqueued\/train$/), { kind: 'hold' });
  // model.safetensors is the biggest file: hold it, let the others of the folder go up.
  const trainHeld = proxies.trainer.on(isPut(/\/checkpoints\/1\/model\.safetensors$/), { kind: 'hold' });
  // The evaluation's judgments of checkpoint 1 (2 held-out prompts: one eval shard).
  const evalJudgeHeld = proxies.judge.on(isPut(/\/eval\/judgments\/shard=0\.jsonl$/), { kind: 'hold' });

  const runId = await createRun(system, fastRunConfig({ model, prompts: 4, promptsPerShard: 2, rounds: 1, extra: { eval_holdout: 2, prompts: testPrompts(6) } }));

  const crash = async (name: 'generator' | 'judge' | 'trainer' | 'events', held: Promise<unknown>) => {
    await within(held, 60_000, `the ${name} to reach its output write`);
    const pid = processes.current(name)?.pid;
    await system.kill(name, 'SIGKILL');
    proxies[name].releaseHeld();
    figures.faults_injected += 1;
    system.start(name);
    return pid;
  };

  const genPid = await crash('generator', genHeld);
  const judgePid = await crash('judge', judgeHeld);
  const eventsPid = await crash('events', eventsHeld);

  // The trainer: let the folder's other files land, then check the checkpoint is torn and unusable.
  await within(trainHeld, 90_000, 'the trainer to upload checkpoint 1');
  const prefix = checkpointPrefix(runId, 1);
  let partial: string[] = [];
  for (let i = 0; i < 100 && partial.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    partial = (await system.objects.list(prefix)).map((o) => o.key.slice(prefix.length));
  }
  expect(partial.length).toBeGreaterThan(0);
  expect(partial).not.toContain('_COMPLETE');
  const trainerPid = processes.current('trainer')?.pid;
  await system.kill('trainer', 'SIGKILL');
  proxies.trainer.releaseHeld();
  figures.faults_injected += 1;

  // While checkpoint 1 is torn, the run is not done and nothing treats the checkpoint as existing.
  const early = await runView(system, runId);
  if (early.status === 'completed') figures.torn_checkpoints_used += 1;
  expect(early.status).toBe('running');
  expect((early.rounds as { checkpoint_complete: boolean }[])[0]?.checkpoint_complete).toBe(false);
  expect(await system.objects.exists(checkpointCompleteKey(runId, 1))).toBe(false);

  system.start('trainer');
  // The restarted judge, mid-way through the evaluation's judgments: the run is not done without them.
  const evalJudgePid = await crash('judge', evalJudgeHeld);
  const evaluating = await runView(system, runId);
  expect(evaluating.status).toBe('running');
  const view = await waitForRun(system, runId, { timeoutMs: 150_000 });
  expect(view.status, JSON.stringify(view.failures)).toBe('completed');
  expect(view.failures).toEqual([]);

  // Each killed unit was redone by a different (fresh) process.
  // Each killed unit was redone by a fresh process, from the same message redelivered after its
  // visibility timeout (receive_count 2), not from a new enqueue. (The train unit may instead be
  // redone from the duplicate train task of the killed events worker's successor: any one message.)
  const redoneBy = (event: string, service: 'generator' | 'judge' | 'trainer', deadPid: number | undefined, minReceives: number) =>
    processes.events(event, service).filter((l) => l.json?.run_id === runId && l.pid !== deadPid && Number(l.json.receive_count) >= minReceives).length;
  expect(redoneBy('generate.done', 'generator', genPid, 2)).toBe(1);
  expect(redoneBy('judge.done', 'judge', judgePid, 2)).toBe(1);
  expect(redoneBy('train.done', 'trainer', trainerPid, 1)).toBe(1);
  expect(redoneBy('eval_judge.done', 'judge', evalJudgePid, 2)).toBe(1);
  figures.units_redone += 4;
  // The event the killed events worker held comes back to its successor: it finds the run done
  // (nothing to do), or, if it comes first, enqueues train again, which the trainer skips.
  const redelivered = await processes.waitForLog(
    (l) => l.service === 'events' && l.json?.event === 'event.handled' && l.json.type === 'shard.judged' && l.json.run_id === runId && l.pid !== eventsPid,
    40_000,
    'the redelivered shard.judged event',
  );
  const commands = redelivered.json?.commands as string[];
  expect([[], ['enqueue_train']]).toContainEqual(commands);
  if (commands.length > 0) await processes.waitForLog((l) => l.json?.event === 'train.already_done' && l.json.run_id === runId, 40_000, 'the duplicate train task to be skipped');
  expect(processes.events('train.done').filter((l) => l.json?.run_id === runId)).toHaveLength(1);

  audit = await auditRun(system.objects, runId, 1);
  const defects = rowDefects(audit);
  // Nothing outside core's key layout (see the test below).
  expect(audit.strayKeys).toEqual([]);
  figures.rows_lost += defects.lost;
  figures.rows_duplicated += defects.duplicated;
  expect(defects.details).toEqual([]);
  expect(audit.generationRows[0]?.size).toBe(4);
  expect(audit.completeCheckpoints).toBe(1);
  figures.checkpoints_lost += 1 - audit.completeCheckpoints;
  // Every file of checkpoint 1 matches its _COMPLETE record: no stale file of the killed upload.
  expect(await checkpointProblems(system.objects, runId, 1)).toEqual([]);
  // The evaluation: checkpoint 0's and 1's samples and the judgments, one row each, metrics written.
  const evalAudit = await auditEvaluation(system.objects, runId, [0]);
  figures.rows_lost += evalAudit.lost;
  figures.rows_duplicated += evalAudit.duplicated;
  expect(evalAudit).toEqual({ metricsWritten: 1, lost: 0, duplicated: 0, details: [] });
});

test('no worker logged an API key or the AWS secret', () => {
  const all = system.processes.logs.map((l) => l.text).join('\n') + system.gatewayLogs.join('\n');
  for (const secret of [system.apiKeys.acme, system.apiKeys.globex, system.awsSecret]) expect(all).not.toContain(secret);
});

// The judge's runs/{run}/round={t}/judge-metrics/shard={i}.json and the gateway's
// runs/{run}/summary.json were outside core's layout; core now defines them (judgeMetricsKey,
// runSummaryKey) and the services build them with those functions.
test('every key of a completed run is in core\'s documented layout', () => {
  expect(audit).toBeDefined();
  expect(audit?.strayKeys).toEqual([]);
});
