import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore, createQueue, silentLogger, startTestCloud, type ObjectStore, type Queue, type TestCloud } from '@sppo/cloud';
import {
  failureKey,
  failureRecordSchema,
  generationRowSchema,
  generationShardKey,
  parseEvent,
  parseJsonl,
  runStatusKey,
  type GenerateTask,
} from '@sppo/core';
import { createSamplingEngine, type SamplingEngine } from '@sppo/model';
import { createEnginePool, type EnginePool } from './checkpoints.ts';
import { isPermanent } from './errors.ts';
import { createGenerateHandler } from './handler.ts';
import { startOpenAiServer, type OpenAiServer } from './openai/server.ts';
import { fakeContext, seedRun, uploadCheckpoint, writeTinyCheckpoint } from './test-fixtures.ts';
import { startGeneratorWorker } from './worker.ts';

let cloud: TestCloud;
let store: ObjectStore;
let events: Queue;
let root: string;
let ckpt: string;
let engines: EnginePool;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sppo-generator-'));
  ckpt = join(root, 'ckpt');
  await writeTinyCheckpoint(ckpt);
  cloud = await startTestCloud();
  store = createObjectStore(cloud.config);
  events = createQueue(cloud.config, 'events');
  // In-thread engines: the handler's behaviour is the same, and tests start faster.
  engines = createEnginePool({ createEngine: (dir, executionProvider) => createSamplingEngine({ modelDir: dir, executionProvider, intraOpNumThreads: 1 }) });
});
afterAll(async () => {
  await engines.close();
  await cloud.stop();
  await rm(root, { recursive: true, force: true });
});

async function drainEvents(): Promise<unknown[]> {
  const out: unknown[] = [];
  for (;;) {
    const batch = await events.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    if (batch.length === 0) return out;
    for (const m of batch) {
      out.push(parseEvent(m.body));
      await events.ack(m);
    }
  }
}

async function waitFor<T>(what: string, poll: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await poll();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const handlerFor = (extra: Partial<Parameters<typeof createGenerateHandler>[0]> = {}) =>
  createGenerateHandler({ store, events, cacheDir: join(root, 'cache'), engines, ...extra });

describe('generate handler', () => {
  it('writes the shard (K samples per prompt, official seeds) and then publishes shard.generated', async () => {
    const { run } = await seedRun(store);
    await uploadCheckpoint(store, ckpt, run);
    await drainEvents();
    const task: GenerateTask = { type: 'generate', run_id: run, round: 0, shard: 0 };
    expect(await handlerFor().generate(task, fakeContext(task))).toBe('generated');
    const rows = parseJsonl(await store.getText(generationShardKey(run, 0, 0)), generationRowSchema);
    expect(rows.map((r) => r.prompt_id)).toEqual(['p0', 'p1']);
    for (const row of rows) {
      expect(row.seeds).toEqual([0, 50, 100]);
      expect(row.responses).toHaveLength(3);
      expect(new Set(row.responses).size).toBe(3);
      expect(row.prompt_text).toBe(`<|begin_of_text|><|user|>\n${row.prompt}<|end|><|assistant|>\n`);
      row.response_tokens.forEach((n, k) => {
        expect(n).toBeGreaterThan(0);
        if (row.finish_reasons[k] === 'length') expect(n).toBe(12);
        else expect(n).toBeLessThanOrEqual(12);
      });
    }
    expect(await drainEvents()).toEqual([{ type: 'shard.generated', run_id: run, round: 0, shard: 0 }]);
  });

  it('is idempotent: a duplicate skips and republishes, a regenerated shard has identical bytes', async () => {
    const { run } = await seedRun(store);
    await uploadCheckpoint(store, ckpt, run);
    const task: GenerateTask = { type: 'generate', run_id: run, round: 0, shard: 1 };
    const handler = handlerFor();
    await handler.generate(task, fakeContext(task));
    const key = generationShardKey(run, 0, 1);
    const first = await store.getBytes(key);
    await drainEvents();
    expect(await handler.generate(task, fakeContext(task))).toBe('already-done');
    expect(await store.getBytes(key)).toEqual(first);
    expect(await drainEvents()).toHaveLength(1);
    // A fresh worker (new engine, new cache) regenerating the shard writes the same bytes.
    await store.delete(key);
    const fresh = createEnginePool({ createEngine: (dir) => createSamplingEngine({ modelDir: dir, intraOpNumThreads: 2 }) });
    expect(await handlerFor({ engines: fresh, cacheDir: join(root, 'cache2') }).generate(task, fakeContext(task))).toBe('generated');
    await fresh.close();
    expect(await store.getBytes(key)).toEqual(first);
  });

  it('samples from a local base-model folder when the manifest names one (round 0, nothing in the bucket)', async () => {
    const { run } = await seedRun(store, { checkpointKey: ckpt });
    const task: GenerateTask = { type: 'generate', run_id: run, round: 0, shard: 1 };
    expect(await handlerFor().generate(task, fakeContext(task))).toBe('generated');
    expect(parseJsonl(await store.getText(generationShardKey(run, 0, 1)), generationRowSchema)).toHaveLength(1);
  });

  it('skips a cancelled run', async () => {
    const { run } = await seedRun(store);
    await store.putJson(runStatusKey(run), { run_id: run, status: 'cancelled', updated_at: new Date().toISOString() });
    const task: GenerateTask = { type: 'generate', run_id: run, round: 0, shard: 0 };
    expect(await handlerFor().generate(task, fakeContext(task))).toBe('skipped-cancelled');
    expect(await store.exists(generationShardKey(run, 0, 0))).toBe(false);
  });

  it('fails permanently (not retried by runWorker), with the reason, on a prompt longer than the context window', async () => {
    const small = join(root, 'small');
    await writeTinyCheckpoint(small, { maxPositionEmbeddings: 8 });
    const { run } = await seedRun(store);
    await uploadCheckpoint(store, small, run);
    await drainEvents();
    const task: GenerateTask = { type: 'generate', run_id: run, round: 0, shard: 0 };
    const error = await handlerFor().generate(task, fakeContext(task)).catch((e: unknown) => e);
    expect(isPermanent(error)).toBe(true);
    expect((error as Error).message).toMatch(/context window/);
    // Recording it is runWorker's job (the worker test below): the handler publishes nothing.
    expect(await drainEvents()).toEqual([]);
    expect(await store.exists(generationShardKey(run, 0, 0))).toBe(false);
  });

  it("'openai' backend against our own endpoint writes the same shard as the embedded engine", async () => {
    const engine: SamplingEngine = await createSamplingEngine({ modelDir: ckpt, intraOpNumThreads: 1 });
    const server: OpenAiServer = await startOpenAiServer({ engine, modelName: 'tiny-policy' });
    try {
      const onnxRun = await seedRun(store);
      const openaiRun = await seedRun(store, { config: { generation_backend: 'openai', openai_base_url: server.baseUrl, openai_model: 'tiny-policy' } });
      for (const { run } of [onnxRun, openaiRun]) {
        await uploadCheckpoint(store, ckpt, run);
        const task: GenerateTask = { type: 'generate', run_id: run, round: 0, shard: 0 };
        expect(await handlerFor().generate(task, fakeContext(task))).toBe('generated');
      }
      const read = async (run: string) => parseJsonl(await store.getText(generationShardKey(run, 0, 0)), generationRowSchema);
      expect(await read(openaiRun.run)).toEqual(await read(onnxRun.run));
    } finally {
      await server.close();
      await engine.close();
    }
  });
});

describe('generator worker through the emulator', () => {
  it('generates a shard from the queue, and dead-letters a task whose checkpoint is missing with its failure recorded', async () => {
    const ok = await seedRun(store);
    await uploadCheckpoint(store, ckpt, ok.run);
    const broken = await seedRun(store); // no checkpoint uploaded
    await drainEvents();
    const generate = createQueue(cloud.config, 'generate');
    const dlq = createQueue(cloud.config, 'generate', { deadLetter: true });
    // The production engine: replicas in worker threads, so the heartbeat runs while they sample.
    const worker = startGeneratorWorker({
      cloud: cloud.config,
      cacheDir: join(root, 'worker-cache'),
      waitTimeSeconds: 1,
      handleSignals: false,
      logger: silentLogger,
      engines: createEnginePool({ replicas: 2 }),
    });
    try {
      await generate.send({ type: 'generate', run_id: ok.run, round: 0, shard: 1 });
      await generate.send({ type: 'generate', run_id: broken.run, round: 0, shard: 0 });
      const dead = await waitFor('the DLQ message', async () => (await dlq.receive({ maxMessages: 1, waitTimeSeconds: 1 }))[0]);
      expect(JSON.parse(dead.body)).toEqual({ type: 'generate', run_id: broken.run, round: 0, shard: 0 });
      expect(dead.attributes['sppo-reason']).toMatch(/checkpoint .* does not exist/);
      const record = await store.getJson(failureKey(broken.run, 'generate', 0, 0), failureRecordSchema);
      expect(record.reason).toMatch(/_COMPLETE is missing/);
      const seen: unknown[] = [];
      await waitFor('both events', async () => {
        seen.push(...(await drainEvents()));
        return seen.length >= 2 ? true : undefined;
      });
      expect(seen).toContainEqual({ type: 'shard.generated', run_id: ok.run, round: 0, shard: 1 });
      expect(seen).toContainEqual(expect.objectContaining({ type: 'unit.failed', run_id: broken.run, stage: 'generate', shard: 0 }));
      const rows = parseJsonl(await store.getText(generationShardKey(ok.run, 0, 1)), generationRowSchema);
      expect(rows.map((r) => r.prompt_id)).toEqual(['p2']);
      expect((await generate.depth()).total).toBe(0);
    } finally {
      await worker.stop();
    }
  });
});
