/**
 * At-least-once delivery (issue 10, part 1; ARCHITECTURE 3.5, 3.6): every message type delivered
 * twice and events out of order, against real worker processes. The run evaluates every round
 * (issue 21: eval_holdout), so the evaluation's units and events are duplicated and reordered too.
 * - During a 2-round run, each service's fault proxy delivers every SQS message it sends twice
 *   (generate, judge and train tasks from the events worker; checkpoint.ready from the trainer),
 *   and the generator's and judge's events are acknowledged at once but delivered late, twice, with
 *   seeded delays, so they overtake each other. run.created is sent a second time by the test.
 *   Checkpoint 2 is pre-seeded torn (every file but `_COMPLETE`): round 1 must redo it.
 * - After it completes, every task and every event of the run is delivered again, in reverse order:
 *   nothing in the bucket may change by a single byte.
 * Expected: one row per prompt, each unit's work started once (duplicates are skipped), one
 * manifest per round, no round skipped, every checkpoint matching its `_COMPLETE` record; each
 * checkpoint's evaluation samples made once and each round's judgments once, one row each.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkpointFileKey, evalManifestKey, manifestKey, type RunEvent, type Task } from '@sppo/core';
import { diffSnapshots, seededRandom, snapshotBucket } from '../helpers/bucket.ts';
import { sha256 } from '../helpers/fault-proxy.ts';
import { checkpointProblems } from '../helpers/checkpoints.ts';
import { auditEvaluation } from '../helpers/eval-audit.ts';
import { reportFigures } from '../helpers/figures.ts';
import { auditRun, createRun, fastRunConfig, rowDefects, testPrompts, waitForRun } from '../helpers/runs.ts';
import { startSystem, type System } from '../helpers/system.ts';
import { uploadTinyModel } from '../helpers/tiny-model.ts';

const ROUNDS = 2;
const SHARDS = 2;
/** Held-out evaluation prompts: one eval shard (prompts_per_shard 2), checkpoints 0, 1 and 2 sampled. */
const HOLDOUT = 2;
const EVAL_SHARDS = 1;
let system: System;
let model: string;
let runId: string;
const figures = { eval_units: 0, messages_duplicated: 0, events_reordered: 0, redeliveries_after_completion: 0, rows_lost: 0, rows_duplicated: 0, units_started_twice: 0, manifest_rewrites: 0, checkpoints_lost: 0, bytes_changed: 0 };

beforeAll(async () => {
  system = await startSystem({ visibilitySeconds: 3, maxReceiveCount: 5 });
  model = await uploadTinyModel(system.objects);
});

afterAll(async () => {
  reportFigures('faults/duplicates', figures);
  await system?.stop();
});

const isSend = (r: { sqsAction?: string }) => r.sqsAction === 'SendMessage' || r.sqsAction === 'SendMessageBatch';

test('every message delivered twice, events out of order: one row per prompt, each unit done once, no round skipped', async () => {
  const { proxies, processes } = system;
  const rnd = seededRandom(7);
  for (const name of ['events', 'trainer'] as const) {
    proxies[name].always((r) => isSend(r) && (figures.messages_duplicated += r.sent.length) >= 0, { kind: 'duplicate', delayMs: 50 });
  }
  for (const name of ['generator', 'judge'] as const) {
    // Each event: acknowledged now, delivered twice later (0.1-2.5 s): later events overtake it.
    proxies[name].always(
      (r) => r.sqsAction === 'SendMessage' && (figures.events_reordered += 1) > 0 && (figures.messages_duplicated += 1) > 0,
      { kind: 'reorder', delayMs: 100 + rnd.int(2_400), copies: 2 },
    );
  }

  runId = await createRun(system, fastRunConfig({ model, prompts: 4, promptsPerShard: 2, rounds: ROUNDS, extra: { eval_holdout: HOLDOUT, prompts: testPrompts(4 * ROUNDS + HOLDOUT) } }));
  await system.queues.events.send({ type: 'run.created', run_id: runId });
  figures.messages_duplicated += 1;
  // Checkpoint 2 torn in advance: all of a checkpoint's files, no _COMPLETE. Never to be used as is.
  for (const { key } of await system.objects.list(`${model}/`)) {
    const name = key.slice(model.length + 1);
    if (name !== '_COMPLETE') await system.objects.put(checkpointFileKey(runId, 2, name), await system.objects.getBytes(key));
  }

  const view = await waitForRun(system, runId, { timeoutMs: 180_000 });
  expect(view.status, JSON.stringify(view.failures)).toBe('completed');
  expect(view.failures).toEqual([]);

  const audit = await auditRun(system.objects, runId, ROUNDS);
  const defects = rowDefects(audit);
  figures.rows_lost += defects.lost;
  figures.rows_duplicated += defects.duplicated;
  expect(defects.details).toEqual([]);
  expect(audit.strayKeys).toEqual([]);
  // No round skipped: round t+1 started from checkpoint t+1, and every checkpoint is complete and whole.
  expect(audit.manifests.map((m) => m.checkpoint_key)).toEqual([`runs/${runId}/checkpoints/0/`, `runs/${runId}/checkpoints/1/`]);
  expect(audit.completeCheckpoints).toBe(ROUNDS);
  figures.checkpoints_lost += ROUNDS - audit.completeCheckpoints;
  for (let t = 1; t <= ROUNDS; t++) expect(await checkpointProblems(system.objects, runId, t)).toEqual([]);

  // Each unit's work started once: duplicates were recognised and skipped.
  const started = (event: string, key: (l: Record<string, unknown>) => string) => {
    const counts = new Map<string, number>();
    for (const l of processes.events(event)) if (l.json?.run_id === runId) counts.set(key(l.json), (counts.get(key(l.json)) ?? 0) + 1);
    return counts;
  };
  const gen = started('generate.started', (j) => `${j.round}/${j.shard}`);
  const judged = started('judge.done', (j) => `${j.round}/${j.shard}`);
  const trained = started('train.started', (j) => `${j.round}`);
  const evalGen = started('eval_generate.started', (j) => `eval:${j.policy}/${j.shard}`);
  const evalJudged = started('eval_judge.done', (j) => `eval:${j.round}/${j.shard}`);
  figures.eval_units += evalGen.size + evalJudged.size;
  const twice = [...gen, ...judged, ...trained, ...evalGen, ...evalJudged].filter(([, n]) => n > 1);
  figures.units_started_twice += twice.length;
  expect({ generate: gen.size, judge: judged.size, train: trained.size, eval_generate: evalGen.size, eval_judge: evalJudged.size, twice }).toEqual({
    generate: ROUNDS * SHARDS,
    judge: ROUNDS * SHARDS,
    train: ROUNDS,
    eval_generate: (ROUNDS + 1) * EVAL_SHARDS, // checkpoints 0..ROUNDS, pi_0's and pi_1's shared by both rounds
    eval_judge: ROUNDS * EVAL_SHARDS,
    twice: [],
  });
  const evalAudit = await auditEvaluation(system.objects, runId, [0, 1]);
  figures.rows_lost += evalAudit.lost;
  figures.rows_duplicated += evalAudit.duplicated;
  expect(evalAudit).toEqual({ metricsWritten: ROUNDS, lost: 0, duplicated: 0, details: [] });
  // The duplicates did arrive and were skipped (not merely never delivered).
  expect(processes.events('generate.already_done').length + processes.events('judge.already_done').length).toBeGreaterThan(0);
  // Each round started once: its manifest key written by the events worker only, and when two
  // duplicate events race (core's documented, harmless race) the rewrite carries the same bytes.
  const manifestPuts = proxies.events.requests.filter((r) => r.method === 'PUT' && r.key !== undefined && /\/_manifest\.json$/.test(r.key));
  const manifests = Array.from({ length: ROUNDS }, (_, t) => [manifestKey(runId, t), evalManifestKey(runId, t)]).flat();
  expect([...new Set(manifestPuts.map((r) => r.key))].sort()).toEqual(manifests.sort());
  for (const key of new Set(manifestPuts.map((r) => r.key))) {
    const bodies = new Set(manifestPuts.filter((r) => r.key === key).map((r) => sha256(r.body)));
    expect(bodies.size, `${key} was rewritten with other bytes`).toBe(1);
  }
  figures.manifest_rewrites += manifestPuts.length - manifests.length;
});

test('after completion, every task and event delivered again in reverse order changes nothing', async () => {
  for (const proxy of Object.values(system.proxies)) proxy.clear();
  const before = await snapshotBucket(system.objects, `runs/${runId}/`);
  const tasks: Task[] = [];
  const events: RunEvent[] = [{ type: 'run.created', run_id: runId }];
  for (let t = 0; t < ROUNDS; t++) {
    for (let shard = 0; shard < SHARDS; shard++) {
      tasks.push({ type: 'generate', run_id: runId, round: t, shard }, { type: 'judge', run_id: runId, round: t, shard });
      events.push({ type: 'shard.generated', run_id: runId, round: t, shard }, { type: 'shard.judged', run_id: runId, round: t, shard });
    }
    tasks.push({ type: 'train', run_id: runId, round: t });
    events.push({ type: 'checkpoint.ready', run_id: runId, round: t });
    for (let shard = 0; shard < EVAL_SHARDS; shard++) {
      tasks.push({ type: 'eval_judge', run_id: runId, round: t, shard });
      events.push({ type: 'eval.judged', run_id: runId, round: t, shard });
    }
  }
  for (let policy = 0; policy <= ROUNDS; policy++) {
    for (let shard = 0; shard < EVAL_SHARDS; shard++) {
      tasks.push({ type: 'eval_generate', run_id: runId, round: Math.max(0, policy - 1), policy, shard });
      events.push({ type: 'eval.generated', run_id: runId, policy, shard });
    }
  }
  const queueOf = { generate: 'generate', eval_generate: 'generate', judge: 'judge', eval_judge: 'judge', train: 'train' } as const;
  for (const task of tasks.reverse()) await system.queues[queueOf[task.type]].send(task);
  for (const event of events.reverse()) await system.queues.events.send(event);
  figures.redeliveries_after_completion += tasks.length + events.length;

  // Wait until every queue is drained and the workers are idle again.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const depths = await Promise.all(Object.values(system.queues).map((q) => q.depth()));
    if (depths.every((d) => d.total === 0)) break;
    if (Date.now() > deadline) throw new Error(`queues not drained: ${JSON.stringify(depths)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  await new Promise((r) => setTimeout(r, 1_000));

  const changes = diffSnapshots(before, await snapshotBucket(system.objects, `runs/${runId}/`));
  figures.bytes_changed += changes.length;
  expect(changes).toEqual([]);
  // Nothing was dead-lettered: a redelivered, already-done unit is a success, not a failure.
  for (const dlq of Object.values(system.dlqs)) expect((await dlq.depth()).total).toBe(0);
});
