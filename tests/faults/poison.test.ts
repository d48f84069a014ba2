/**
 * Poison messages (issue 10, part 1; ARCHITECTURE 3.5), against real worker processes:
 * - not JSON and schema-invalid, on every queue: moved to that queue's DLQ at once, with the reason;
 * - valid messages pointing at objects that do not exist (a shard the manifest does not list, a
 *   round with no manifest): failed for good at the first attempt, recorded, dead-lettered;
 * - a unit whose reads keep failing (the judge's store answers 500 for one run's shards): retried,
 *   dead-lettered after maxReceiveCount attempts, recorded;
 * and in each case GET /v1/runs/{id} names the unit and the reason, while another run completes.
 * Every event the workers send (unit.failed included) is delivered twice, and run.cancelled and
 * run.resumed are sent twice too: one failure record per unit, and resume finishes a failed and a
 * cancelled run with one row per prompt.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DLQ_REASON_ATTRIBUTE, type Queue, type QueueKind, type ReceivedMessage } from '@sppo/cloud';
import { generationShardKey, manifestKey } from '@sppo/core';
import { reportFigures } from '../helpers/figures.ts';
import { auditRun, createRun, fastRunConfig, rowDefects, waitForRun } from '../helpers/runs.ts';
import { startSystem, type System } from '../helpers/system.ts';
import { uploadTinyModel } from '../helpers/tiny-model.ts';

const MAX_RECEIVES = 3;
let system: System;
let model: string;
const figures = { duplicated_events: 0, runs_resumed: 0, poison_messages: 0, dead_lettered: 0, failures_shown: 0, rows_lost: 0, checkpoints_lost: 0 };

beforeAll(async () => {
  system = await startSystem({ visibilitySeconds: 2, maxReceiveCount: MAX_RECEIVES });
  model = await uploadTinyModel(system.objects);
});

afterAll(async () => {
  reportFigures('faults/poison', figures);
  await system?.stop();
});

async function drain(queue: Queue): Promise<ReceivedMessage[]> {
  const out: ReceivedMessage[] = [];
  for (;;) {
    const batch = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    if (batch.length === 0) return out;
    out.push(...batch);
    await Promise.all(batch.map((m) => queue.ack(m)));
  }
}

test('poison messages reach their DLQ with a reason, failures show in the run status, other runs complete', async () => {
  const healthy = await createRun(system, fastRunConfig({ model, prompts: 4, promptsPerShard: 2 }));
  const victim = await createRun(system, fastRunConfig({ model, prompts: 4, promptsPerShard: 2 }));
  const flaky = await createRun(system, fastRunConfig({ model, prompts: 2, promptsPerShard: 2 }));
  const cancelled = await createRun(system, fastRunConfig({ model, prompts: 2, promptsPerShard: 2 }));
  expect((await system.call('POST', `/v1/runs/${cancelled}/cancel`, { body: { reason: 'poison test' } })).status).toBe(200);
  await system.queues.events.send({ type: 'run.cancelled', run_id: cancelled, reason: 'poison test' });
  for (const name of ['generator', 'judge', 'trainer'] as const) {
    system.proxies[name].always((r) => r.sqsAction === 'SendMessage' && r.sent[0]?.queue.endsWith('-events') === true && (figures.duplicated_events += 1) > 0, { kind: 'duplicate', delayMs: 20 });
  }
  // The judge's store fails every read of the flaky run's generation shard: a transient error, forever.
  system.proxies.judge.always((r) => r.method === 'GET' && r.key === generationShardKey(flaky, 0, 0), { kind: 'fail', status: 500 });

  const raw: Record<QueueKind, string[]> = {
    generate: ['not json {', JSON.stringify({ type: 'generate', run_id: '../../etc', round: -1, shard: 0 })],
    judge: ['', JSON.stringify({ type: 'judge', run_id: victim, round: 'zero', shard: 0 })],
    train: ['\u00ff\u00fe<not json>', JSON.stringify({ type: 'generate', run_id: victim, round: 0, shard: 0 })],
    events: ['[]', JSON.stringify({ type: 'run.exploded', run_id: victim })],
  };
  for (const [kind, bodies] of Object.entries(raw) as [QueueKind, string[]][]) {
    for (const body of bodies) await system.queues[kind].sendRaw(body === '' ? ' ' : body);
  }
  // Valid messages naming objects that do not exist: a shard the manifest does not list, triplets
  // not written yet. Sent once round 0 has its manifest, so the failure is the one named.
  for (let i = 0; i < 100 && !(await system.objects.exists(manifestKey(victim, 0))); i++) await new Promise((r) => setTimeout(r, 100));
  await system.queues.generate.send({ type: 'generate', run_id: victim, round: 0, shard: 9 });
  await system.queues.train.send({ type: 'train', run_id: victim, round: 0 });
  figures.poison_messages += Object.values(raw).flat().length + 2;

  const done = await waitForRun(system, healthy, { timeoutMs: 120_000 });
  expect(done.status, JSON.stringify(done.failures)).toBe('completed');
  const audit = await auditRun(system.objects, healthy, 1);
  const defects = rowDefects(audit);
  figures.rows_lost += defects.lost;
  figures.checkpoints_lost += 1 - audit.completeCheckpoints;
  expect(defects.details).toEqual([]);
  expect(audit.completeCheckpoints).toBe(1);

  // The victim: its bogus shard 9 is recorded with its reason and fails the run; its real shards were still generated.
  // (its real shards are generated even though the run failed: they were enqueued before)
  const victimView = await waitForRun(system, victim, {
    timeoutMs: 60_000,
    until: (v) =>
      v.status !== 'running' && v.failures.some((f) => f.stage === 'generate' && f.shard === 9) && v.failures.some((f) => f.stage === 'train') && (v.rounds as { generated: number }[])[0]?.generated === 2,
  });
  expect(victimView.status).toBe('failed');
  // The status names whichever of its two poisoned units failed first.
  expect(victimView.status_reason).toMatch(/^(generate of round 0 shard 9|train of round 0) failed: .{10,}/);
  const bogus = victimView.failures.find((f) => f.stage === 'generate' && f.shard === 9);
  expect(bogus?.reason).toMatch(/shard 9 does not exist/);
  // The train task for a round not judged yet: no triplets.
  const trainFailure = victimView.failures.find((f) => f.stage === 'train');
  expect(trainFailure?.reason).toMatch(/triplet shards/);
  const victimRounds = victimView.rounds as { generated: number }[];
  expect(victimRounds[0]?.generated).toBe(2);

  // The flaky run: retried MAX_RECEIVES times, then recorded as given up.
  // The failure record is written just before unit.failed is sent, and the status changes when the
  // events worker handles that event: wait for both, not only the record.
  const flakyView = await waitForRun(system, flaky, { timeoutMs: 60_000, until: (v) => v.failures.length > 0 && v.status !== 'running' });
  expect(flakyView.status).toBe('failed');
  expect(flakyView.failures[0]).toMatchObject({ stage: 'judge', round: 0, shard: 0 });
  expect(flakyView.failures[0]?.reason).toMatch(new RegExp(`${MAX_RECEIVES} attempts`));
  // Only the flaky run's judge task fails on the judge queue: one log line per attempt.
  const attempts = system.processes.events('message.failed', 'judge');
  expect(attempts.length).toBeGreaterThanOrEqual(MAX_RECEIVES);
  figures.failures_shown += victimView.failures.length + flakyView.failures.length;

  // Every DLQ: the invalid messages with their reason, the permanent failures with theirs, and the
  // flaky judge task once the redrive policy moved it (after its MAX_RECEIVES-th receive).
  await new Promise((r) => setTimeout(r, 2_500));
  const dead: Record<QueueKind, ReceivedMessage[]> = { generate: [], judge: [], train: [], events: [] };
  for (const kind of Object.keys(dead) as QueueKind[]) dead[kind] = await drain(system.dlqs[kind]);
  figures.dead_lettered += Object.values(dead).flat().length;
  for (const [kind, bodies] of Object.entries(raw) as [QueueKind, string[]][]) {
    for (const body of bodies) {
      const found = dead[kind].find((m) => m.body === (body === '' ? ' ' : body));
      expect(found, `${kind} DLQ should hold ${JSON.stringify(body)}`).toBeDefined();
      expect(found?.attributes[DLQ_REASON_ATTRIBUTE] ?? '', `reason of ${JSON.stringify(body)}`).toMatch(/.{10,}/);
    }
  }
  const reasonOf = (kind: QueueKind, match: (body: Record<string, unknown>) => boolean) =>
    dead[kind].find((m) => {
      try {
        return match(JSON.parse(m.body) as Record<string, unknown>);
      } catch {
        return false;
      }
    });
  expect(reasonOf('generate', (b) => b.run_id === victim && b.shard === 9)?.attributes[DLQ_REASON_ATTRIBUTE]).toMatch(/shard 9/);
  expect(reasonOf('train', (b) => b.run_id === victim && b.type === 'train')).toBeDefined();
  expect(reasonOf('judge', (b) => b.run_id === flaky)).toBeDefined();
  // Nothing of the healthy run was dead-lettered.
  expect(Object.values(dead).flat().filter((m) => m.body.includes(healthy))).toEqual([]);
  // One failure record per unit, although every unit.failed was delivered twice.
  const units = (await waitForRun(system, victim, { until: () => true })).failures.map((f) => `${f.stage}-${f.round}-${f.shard ?? ''}`);
  expect(units.length).toBe(new Set(units).size);
  // The cancelled run started nothing new: no triplets, no checkpoint.
  const cancelledView = await waitForRun(system, cancelled, { until: () => true });
  expect(cancelledView.status).toBe('cancelled');
  expect((cancelledView.rounds as { judged: number; checkpoint_complete: boolean }[])[0]).toMatchObject({ judged: 0, checkpoint_complete: false });

  // Resume (twice) the run failed by poison and the cancelled one: both finish, rows exact.
  for (const runId of [victim, cancelled]) {
    expect((await system.call('POST', `/v1/runs/${runId}/resume`)).status).toBe(202);
    await system.queues.events.send({ type: 'run.resumed', run_id: runId });
  }
  for (const runId of [victim, cancelled]) {
    const view = await waitForRun(system, runId, { timeoutMs: 90_000, until: (v) => v.status === 'completed' });
    expect(view.status).toBe('completed');
    const resumed = await auditRun(system.objects, runId, 1);
    expect(rowDefects(resumed).details).toEqual([]);
    expect(resumed.completeCheckpoints).toBe(1);
    figures.runs_resumed += 1;
  }
});
