// The train handler against the real emulator (packages/cloud startTestCloud): called directly
// with a synthetic message, and end to end through the worker with a crash after a saved state.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createObjectStore, createQueue, downloadFolder, silentLogger, startTestCloud, uploadFolder, type HandlerContext, type ObjectStore, type Queue, type ReceivedMessage, type TestCloud } from '@sppo/cloud';
import {
  checkpointCompleteKey,
  checkpointPrefix,
  failureKey,
  roundMetricsKey,
  roundMetricsSchema,
  trainStatePrefix,
  type TrainTask,
} from '@sppo/core';
import { readCheckpoint, type TrainState } from '@sppo/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPermanent } from './errors.ts';
import { createTrainHandler } from './handler.ts';
import { pairRows, seedRound, writeBaseFolder } from './test-fixtures.ts';
import { startTrainerWorker } from './worker.ts';

let cloud: TestCloud;
let store: ObjectStore;
let events: Queue;
let dlq: Queue;
let cacheDir: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  store = createObjectStore(cloud.config);
  events = createQueue(cloud.config, 'events');
  dlq = createQueue(cloud.config, 'train', { deadLetter: true });
  cacheDir = await mkdtemp(join(tmpdir(), 'sppo-trainer-test-'));
});
afterAll(async () => {
  await cloud?.stop();
  await rm(cacheDir, { recursive: true, force: true });
});

function context(task: TrainTask): HandlerContext {
  const message: ReceivedMessage = { messageId: `m-${task.run_id}`, receiptHandle: 'r', body: JSON.stringify(task), receiveCount: 1, attributes: {} };
  return { message, receiveCount: 1, logger: silentLogger };
}

/** The handler rejects with an error runWorker dead-letters at once (isPermanent); its message. */
async function permanentReason(handler: ReturnType<typeof createTrainHandler>, task: TrainTask): Promise<string> {
  const error = await handler.train(task, context(task)).catch((e: unknown) => e);
  expect(isPermanent(error)).toBe(true);
  return (error as Error).message;
}

async function drain(queue: Queue): Promise<ReceivedMessage[]> {
  const all: ReceivedMessage[] = [];
  for (;;) {
    const batch = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    if (batch.length === 0) return all;
    for (const m of batch) await queue.ack(m);
    all.push(...batch);
  }
}

async function trainedWeights(run: string): Promise<Map<string, Float32Array>> {
  const dir = join(cacheDir, 'check', run);
  await downloadFolder(store, checkpointPrefix(run, 1), dir, { requireFile: '_COMPLETE' });
  return (await readCheckpoint(dir, { verifyHashes: true })).weights;
}

describe('train handler (direct call, real emulator)', () => {
  it('trains checkpoint 1 from checkpoint 0, writes metrics, then publishes checkpoint.ready; a duplicate only republishes', async () => {
    await seedRound(store, 'run-a');
    const handler = createTrainHandler({ store, events, cacheDir });
    const task: TrainTask = { type: 'train', run_id: 'run-a', round: 0 };
    expect(await handler.train(task, context(task))).toBe('trained');

    expect(await store.exists(checkpointCompleteKey('run-a', 1))).toBe(true);
    const files = (await store.list(checkpointPrefix('run-a', 1))).map((o) => o.key.slice(checkpointPrefix('run-a', 1).length)).sort();
    expect(files).toEqual(['_COMPLETE', 'config.json', 'generation_config.json', 'metrics.json', 'model.onnx', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'training_args.json']);
    const metrics = await store.getJson(roundMetricsKey('run-a', 0), roundMetricsSchema);
    expect(metrics.train?.log_history.map((e) => e.step)).toEqual([1, 2, 3, 4]);
    expect(metrics.train?.summary?.['train/examples']).toBe(8);
    const trainingArgs = await store.getJson(`${checkpointPrefix('run-a', 1)}training_args.json`);
    expect(trainingArgs).toMatchObject({ loss_type: 'sppo', beta: 0.1, learning_rate: 1e-3, num_iterations: 3 });
    expect(await store.list(trainStatePrefix('run-a', 0))).toEqual([]); // state cleaned up once complete
    expect((await drain(events)).map((m) => JSON.parse(m.body))).toEqual([{ type: 'checkpoint.ready', run_id: 'run-a', round: 0 }]);

    // The policy moved: checkpoint 1 differs from checkpoint 0.
    const before = (await readCheckpoint(join(cacheDir, 'runs', 'run-a', 'checkpoints', '0'))).weights;
    const after = await trainedWeights('run-a');
    expect(after.get('model.embed_tokens.weight')).not.toEqual(before.get('model.embed_tokens.weight'));

    expect(await handler.train(task, context(task))).toBe('already-done');
    expect((await drain(events)).map((m) => JSON.parse(m.body))).toEqual([{ type: 'checkpoint.ready', run_id: 'run-a', round: 0 }]);
  });

  it('trains on shards with only the official training columns, to the same weights as run-a (issue 15 part 4)', async () => {
    // prompt, chosen, rejected, chosen_probs, chosen_probs_win, chosen_probs_lose: what the official
    // training step reads; prompt_id, responses, probability and rm_scores are dropped.
    const official = (rows: ReturnType<typeof pairRows>) => rows.map(({ prompt_id: _id, responses: _r, probability: _p, rm_scores: _s, ...kept }) => kept);
    await seedRound(store, 'run-official', { shards: [official(pairRows(4)), official(pairRows(4, 4))] });
    const handler = createTrainHandler({ store, events, cacheDir });
    const task: TrainTask = { type: 'train', run_id: 'run-official', round: 0 };
    expect(await handler.train(task, context(task))).toBe('trained');
    await drain(events);
    const ours = await trainedWeights('run-a');
    for (const [name, w] of await trainedWeights('run-official')) expect(w, name).toEqual(ours.get(name));
  });

  it('records bad triplets (probability outside [0, 1]) as the unit failure and dead-letters the task at once; drops rows with an empty sampled response', async () => {
    const rows = pairRows(4);
    const bad = [
      { ...rows[0], chosen_probs_win: 1.5 },
      rows[1],
      { ...rows[2], rejected: [{ role: 'user', content: 'Question 2: say something' }, { role: 'assistant', content: '' }] },
    ];
    await seedRound(store, 'run-bad', { shards: [bad, pairRows(2, 4)] });
    const task: TrainTask = { type: 'train', run_id: 'run-bad', round: 0 };
    await createQueue(cloud.config, 'train').send(task);
    // Short polls: the emulator finishes a long poll aborted by stop() and would hide the next test's messages.
    const worker = startTrainerWorker({ cloud: cloud.config, cacheDir: join(cacheDir, 'worker-bad'), waitTimeSeconds: 0, handleSignals: false, logger: silentLogger });
    const deadline = Date.now() + 30_000;
    while (worker.stats().deadLettered < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await worker.stop();
    expect(worker.stats()).toMatchObject({ received: 1, deadLettered: 1, failed: 0 });
    const record = await store.getJson<{ reason: string; stage: string }>(failureKey('run-bad', 'train', 0));
    expect(record.stage).toBe('train');
    expect(record.reason).toMatch(/shard=0 line 1[\s\S]*chosen_probs_win/);
    const failed = (await drain(events)).map((m) => JSON.parse(m.body) as { type: string; reason: string });
    expect(failed).toMatchObject([{ type: 'unit.failed', run_id: 'run-bad', round: 0, stage: 'train' }]);
    const dead = await drain(dlq);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]!.body)).toEqual(task);
    expect(dead[0]!.attributes['sppo-reason']).toMatch(/chosen_probs_win/);

    // An empty sampled response is something the policy did, not corrupt data: the round trains on
    // the other rows and counts the dropped one in its metrics.
    await seedRound(store, 'run-empty', { shards: [[rows[0], rows[1], bad[2]]], withCheckpoint: true });
    const empty: TrainTask = { type: 'train', run_id: 'run-empty', round: 0 };
    const handler = createTrainHandler({ store, events, cacheDir });
    expect(await handler.train(empty, context(empty))).toBe('trained');
    const metrics = await store.getJson<{ train: { summary: Record<string, number> } }>(roundMetricsKey('run-empty', 0));
    expect(metrics.train.summary['train/dropped_empty_rows']).toBe(1);
    await drain(events);

    // A round whose every row has an empty response has nothing to train on: a clear failure.
    await seedRound(store, 'run-all-empty', { shards: [[bad[2]]], withCheckpoint: true });
    const allEmpty: TrainTask = { type: 'train', run_id: 'run-all-empty', round: 0 };
    expect(await permanentReason(handler, allEmpty)).toMatch(/no triplet rows/);
  });

  it('refuses a reference checkpoint without _COMPLETE', async () => {
    await seedRound(store, 'run-nock', { withCheckpoint: false });
    await store.put(`${checkpointPrefix('run-nock', 0)}config.json`, '{}'); // a half-written checkpoint
    const handler = createTrainHandler({ store, events, cacheDir });
    const task: TrainTask = { type: 'train', run_id: 'run-nock', round: 0 };
    expect(await permanentReason(handler, task)).toMatch(/no _COMPLETE marker/);
    expect(await store.exists(checkpointCompleteKey('run-nock', 1))).toBe(false);
    await drain(events);
  });
});

describe('the reference checkpoint of round 0 (the gateway\'s checkpoint 0, or a local base folder)', () => {
  it('trains from a base folder on this machine when the manifest names it (nothing in the bucket)', async () => {
    const dir = join(cacheDir, 'local-base');
    await writeBaseFolder(dir);
    await rm(join(dir, '_COMPLETE')); // a plain HF folder, as users have them
    await seedRound(store, 'run-local', { withCheckpoint: false, checkpointKey: dir });
    const handler = createTrainHandler({ store, events, cacheDir });
    const task: TrainTask = { type: 'train', run_id: 'run-local', round: 0 };
    expect(await handler.train(task, context(task))).toBe('trained');
    expect(await store.exists(checkpointCompleteKey('run-local', 1))).toBe(true);
    expect((await drain(events)).map((m) => JSON.parse(m.body))).toEqual([{ type: 'checkpoint.ready', run_id: 'run-local', round: 0 }]);
  });

  it("reads checkpoint 0 with cloud's upload manifest as _COMPLETE; a malformed marker fails the unit for good at once", async () => {
    const local = join(cacheDir, 'upload-base');
    await writeBaseFolder(local);
    await rm(join(local, '_COMPLETE'));
    // uploadFolder writes the { files: [{ path, size }] } manifest for a folder without a marker,
    // the form the gateway writes when it copies a plain HF folder to checkpoints/0/.
    await seedRound(store, 'run-upl', { withCheckpoint: false });
    await uploadFolder(store, local, checkpointPrefix('run-upl', 0), { lastFile: '_COMPLETE' });
    const handler = createTrainHandler({ store, events, cacheDir });
    const ok: TrainTask = { type: 'train', run_id: 'run-upl', round: 0 };
    expect(await handler.train(ok, context(ok))).toBe('trained');
    await drain(events);

    await seedRound(store, 'run-oldmark', { withCheckpoint: false });
    await uploadFolder(store, local, checkpointPrefix('run-oldmark', 0));
    await store.put(checkpointCompleteKey('run-oldmark', 0), JSON.stringify({ source: 'models/tiny/', files: ['config.json'] }));
    const bad: TrainTask = { type: 'train', run_id: 'run-oldmark', round: 0 };
    expect(await permanentReason(handler, bad)).toMatch(/checkpoint marker runs\/run-oldmark\/checkpoints\/0\/_COMPLETE/);
    await drain(events);
  });
});

describe('trainer worker (real queue): crash after a saved state, redelivery resumes', () => {
  it('ends with the same weights as an uninterrupted run', async () => {
    await seedRound(store, 'run-crash'); // same data and config as run-a
    const lines: string[] = [];
    const logger = createLogger({ service: 'trainer', write: (line) => lines.push(line) });
    let crashed = false;
    const afterSave = (state: TrainState): void => {
      if (!crashed) {
        crashed = true;
        throw new Error(`simulated crash after saving step ${state.step}`);
      }
    };
    const worker = startTrainerWorker({
      cloud: cloud.config,
      cacheDir: join(cacheDir, 'worker'),
      visibilityTimeoutSeconds: 20,
      heartbeatSeconds: 2,
      waitTimeSeconds: 1,
      retryDelaySeconds: 0,
      handleSignals: false,
      logger,
      afterSave,
    });
    try {
      await createQueue(cloud.config, 'train').send({ type: 'train', run_id: 'run-crash', round: 0 });
      const deadline = Date.now() + 90_000;
      while (!(await store.exists(checkpointCompleteKey('run-crash', 1)))) {
        if (Date.now() > deadline) throw new Error(`no checkpoint after 90 s; log:\n${lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await worker.stop();
    }
    expect(crashed).toBe(true);
    const started = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'train.started');
    expect(started.map((l) => l.resume_step)).toEqual([0, 2]);
    expect(worker.stats()).toMatchObject({ acked: 1, failed: 1 });
    const resumed = await trainedWeights('run-crash');
    const uninterrupted = await trainedWeights('run-a');
    for (const [name, w] of uninterrupted) expect(resumed.get(name), name).toEqual(w);
    expect((await drain(events)).map((m) => JSON.parse(m.body))).toEqual([{ type: 'checkpoint.ready', run_id: 'run-crash', round: 0 }]);
  });
});
