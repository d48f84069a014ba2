import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from './bootstrap.ts';
import { createSqsClient } from './clients.ts';
import type { CloudConfig } from './config.ts';
import { parseEmulatorArgs } from './emulator-main.ts';
import { startEmulator } from './emulator.ts';
import { createObjectStore } from './object-store.ts';
import { createQueue } from './queue.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sppo-cloud-emulator-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const configFor = (endpoint: string): CloudConfig => ({ region: 'us-east-1', bucket: 'sppo-persist', queuePrefix: 'p', endpoint });

describe('emulator', () => {
  it('binds loopback only, on a random port by default', async () => {
    const emulator = await startEmulator();
    try {
      expect(emulator.host).toBe('127.0.0.1');
      expect(emulator.port).toBeGreaterThan(0);
      expect(emulator.endpoint).toBe(`http://127.0.0.1:${emulator.port}`);
      expect(await (await fetch(`${emulator.endpoint}/health`)).json()).toEqual({ status: 'ok' });
    } finally {
      await emulator.stop();
    }
  });

  it('keeps objects, queues and messages across a restart with a dataDir', async () => {
    const dataDir = join(work, 'state');
    const first = await startEmulator({ dataDir });
    await bootstrap(configFor(first.endpoint));
    await createObjectStore(configFor(first.endpoint)).writeJsonl('runs/r/prompts/pool.jsonl', [{ prompt: 'hi' }]);
    await createQueue(configFor(first.endpoint), 'judge').send({ run: 'r', shard: 3 });
    await first.stop();

    const second = await startEmulator({ dataDir });
    try {
      const config = configFor(second.endpoint);
      expect((await createObjectStore(config).readJsonl('runs/r/prompts/pool.jsonl')).rows).toEqual([{ prompt: 'hi' }]);
      const [message] = await createQueue(config, 'judge').receive({ waitTimeSeconds: 1 });
      expect(message?.body).toBe('{"run":"r","shard":3}');
      // Bootstrapping the restored state again is harmless.
      await bootstrap(config);
    } finally {
      await second.stop();
    }
  });

  it('bootstraps idempotently, converging queue attributes to the latest options', async () => {
    const emulator = await startEmulator();
    try {
      const config = configFor(emulator.endpoint);
      const first = await bootstrap(config, { maxReceiveCount: 3, visibilityTimeouts: { train: 120 } });
      const again = await bootstrap(config, { maxReceiveCount: 4, visibilityTimeouts: { train: 60 } });
      expect(again.queues.train.url).toBe(first.queues.train.url);
      expect(Object.values(again.queues).map((q) => [q.name, q.dlqName])).toEqual([
        ['p-generate', 'p-generate-dlq'],
        ['p-judge', 'p-judge-dlq'],
        ['p-train', 'p-train-dlq'],
        ['p-events', 'p-events-dlq'],
      ]);
      const sqs = createSqsClient(config);
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: again.queues.train.url, AttributeNames: ['All'] }),
      );
      expect(Attributes?.VisibilityTimeout).toBe('60');
      expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: again.queues.train.dlqArn,
        maxReceiveCount: 4,
      });
      await expect(bootstrap(config, { maxReceiveCount: 0 })).rejects.toThrow(/maxReceiveCount 0 is out of range/);
    } finally {
      await emulator.stop();
    }
  });

  it('emulator-main starts, bootstraps, prints the endpoint and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'emulator-main.ts'), '--port=0'], {
      env: { ...process.env, SPPO_QUEUE_PREFIX: 'main', SPPO_EMULATOR_DATA_DIR: join(work, 'main') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const firstLine = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    const endpoint = String(firstLine.value);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const depth = await createQueue({ region: 'us-east-1', bucket: 'sppo', queuePrefix: 'main', endpoint }, 'events').depth();
    expect(depth.total).toBe(0);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('parses emulator arguments with environment fallbacks', () => {
    expect(parseEmulatorArgs(['--port=0', '--data-dir=x'], { SPPO_BUCKET: 'bkt-1' })).toEqual({
      port: 0,
      host: '127.0.0.1',
      dataDir: 'x',
      config: { region: 'us-east-1', bucket: 'bkt-1', queuePrefix: 'sppo' },
    });
    expect(parseEmulatorArgs([], { SPPO_EMULATOR_PORT: '5000' }).port).toBe(5000);
    expect(() => parseEmulatorArgs(['--port=abc'])).toThrow(/--port "abc" is invalid/);
    expect(() => parseEmulatorArgs(['--bogus'])).toThrow(/bogus/);
  });
});
