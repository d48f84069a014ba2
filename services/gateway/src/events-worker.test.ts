// The Node hosts end to end: the HTTP API served by @hono/node-server (node.ts) and the events
// worker polling the emulator's events queue (events-worker.ts), with nothing called by hand.
import { createQueue, silentLogger as silentCloudLogger } from '@sppo/cloud';
import { manifestKey } from '@sppo/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEventsWorker } from './events-worker.ts';
import { startGatewayServer, type GatewayServer } from './node.ts';
import { silentLogger } from './ports.ts';
import { startHarness, TENANTS, type Harness } from './test-harness.ts';

const EVENT_TIMEOUT_MS = 10_000;

let h: Harness;
let server: GatewayServer;
beforeAll(async () => {
  h = await startHarness();
  server = await startGatewayServer({ port: 0, env: h.env, logger: silentLogger });
});
afterAll(async () => {
  await server?.close();
  await h?.stop();
});

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('starts round 0 from POST /v1/runs through the events queue, and dead-letters a malformed event', async () => {
  const worker = startEventsWorker({ config: h.cloud.config, waitTimeSeconds: 1, concurrency: 2, logger: silentCloudLogger });
  try {
    const res = await fetch(`${server.url}/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TENANTS.acme}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompts: ['a', 'b', 'c'], num_iterations: 1, prompts_per_shard: 2 }),
    });
    expect(res.status).toBe(201);
    const { run_id } = (await res.json()) as { run_id: string };
    await until(async () => ((await h.objects.exists(manifestKey(run_id, 0))) ? true : undefined), 'the round 0 manifest');
    const tasks: unknown[] = [];
    await until(async () => {
      tasks.push(...(await h.drain('generate')));
      return tasks.length >= 2 ? true : undefined;
    }, 'two generate tasks');
    expect(tasks).toEqual(expect.arrayContaining([{ type: 'generate', run_id, round: 0, shard: 0 }, { type: 'generate', run_id, round: 0, shard: 1 }]));

    await h.queues.events.send({ type: 'shard.exploded', run_id });
    const dlq = createQueue(h.cloud.config, 'events', { deadLetter: true });
    const dead = await until(async () => (await dlq.receive({ waitTimeSeconds: 1 }))[0], 'the malformed event in the DLQ');
    expect(JSON.parse(dead.body)).toEqual({ type: 'shard.exploded', run_id });
    expect(dead.attributes['sppo-reason']).toMatch(/schema/);
  } finally {
    await worker.stop();
  }
});
