// The automation against the real emulator: synthetic events, shard objects written as the
// generator / judge / trainer would, and the enqueued tasks received back from the queues.
import {
  checkpointCompleteKey,
  checkpointFileKey,
  enqueuedMarkerKey,
  generationShardKey,
  manifestKey,
  roundManifestSchema,
  runStatusKey,
  tripletShardKey,
  type RunEvent,
} from '@sppo/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCreatedSchema, runViewSchema } from '../api/schemas.ts';
import { startHarness, type Harness } from '../test-harness.ts';
import { handleEvent } from './handle-event.ts';
import { loadRun } from './load.ts';
import { buildManifest } from './manifest.ts';
import { readPool } from '../runs/prompts.ts';
import { summaryKey } from '../runs/record.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());
beforeEach(async () => {
  for (const kind of ['generate', 'judge', 'train', 'events'] as const) await h.queues[kind].purge();
});

/** 4 prompts, 2 rounds of 2 prompts, 1 prompt per shard: 2 shards a round. */
async function newRun(): Promise<string> {
  const res = await h.call('POST', '/v1/runs', { body: { prompts: ['a', 'b', 'c', 'd'], num_iterations: 2, prompts_per_shard: 1 } });
  const { run_id } = runCreatedSchema.parse(await res.json());
  expect(await h.drain('events')).toEqual([{ type: 'run.created', run_id }]);
  return run_id;
}

const on = (event: RunEvent) => handleEvent(event, h.automation);

async function generated(run: string, t: number, i: number) {
  await h.objects.put(generationShardKey(run, t, i), '{"prompt_id":"x"}\n');
  return on({ type: 'shard.generated', run_id: run, round: t, shard: i });
}
async function judged(run: string, t: number, i: number, { event = true } = {}) {
  await h.objects.put(tripletShardKey(run, t, i), '{"prompt_id":"x"}\n');
  return event ? on({ type: 'shard.judged', run_id: run, round: t, shard: i }) : undefined;
}
/** Round t's trainer: writes checkpoint t+1, _COMPLETE last, then the event. */
async function trained(run: string, t: number) {
  await h.objects.put(checkpointFileKey(run, t + 1, 'config.json'), '{}');
  await h.objects.put(checkpointCompleteKey(run, t + 1), '');
  return on({ type: 'checkpoint.ready', run_id: run, round: t });
}

const tasks = async (kind: 'generate' | 'judge' | 'train') =>
  (await h.drain(kind)).map((m) => ('shard' in m ? `${m.type}:${m.round}:${m.shard}` : `${m.type}:${m.round}`)).sort();

describe('handleEvent', () => {
  it('drives two rounds from run.created to a completed run', async () => {
    const run = await newRun();
    expect((await on({ type: 'run.created', run_id: run })).commands.map((c) => c.kind)).toEqual(['write_manifest', 'enqueue_generate']);
    const manifest = roundManifestSchema.parse(await h.objects.getJson(manifestKey(run, 0)));
    expect(manifest).toMatchObject({ round: 0, checkpoint_key: 'models/base', shards: [{ shard: 0, prompt_ids: ['p0'] }, { shard: 1, prompt_ids: ['p1'] }] });
    expect(await tasks('generate')).toEqual(['generate:0:0', 'generate:0:1']);

    for (const t of [0, 1]) {
      await generated(run, t, 1);
      expect(await tasks('judge')).toEqual([`judge:${t}:1`]);
      await generated(run, t, 0);
      expect(await tasks('judge')).toEqual([`judge:${t}:0`]);
      expect(await h.objects.exists(enqueuedMarkerKey(run, t, 'judge', 0))).toBe(true);
      await judged(run, t, 0);
      expect(await tasks('train')).toEqual([]);
      await judged(run, t, 1);
      expect(await tasks('train')).toEqual([`train:${t}`]);
      const result = await trained(run, t);
      if (t === 0) {
        expect(result.commands.map((c) => c.kind)).toEqual(['write_manifest', 'enqueue_generate']);
        const next = roundManifestSchema.parse(await h.objects.getJson(manifestKey(run, 1)));
        expect(next).toMatchObject({ round: 1, checkpoint_key: `runs/${run}/checkpoints/1/`, shards: [{ prompt_ids: ['p2'] }, { prompt_ids: ['p3'] }] });
        expect(await tasks('generate')).toEqual(['generate:1:0', 'generate:1:1']);
      } else {
        expect(result.commands.map((c) => c.kind)).toEqual(['complete_run']);
      }
    }
    expect(await h.objects.getJson(runStatusKey(run))).toMatchObject({ status: 'completed' });
    expect(await h.objects.getJson(summaryKey(run))).toMatchObject({ run_id: run, final_checkpoint: `runs/${run}/checkpoints/2/`, rounds: [{ round: 0 }, { round: 1 }] });
    const view = runViewSchema.parse(await (await h.call('GET', `/v1/runs/${run}`)).json());
    expect(view).toMatchObject({ status: 'completed', current_round: null, stage: 'done', progress: { shards: 2, generated: 2, judged: 2 } });
    expect(view.rounds.map((r) => r.phase)).toEqual(['done', 'done']);
    for (const kind of ['generate', 'judge', 'train'] as const) expect(await tasks(kind)).toEqual([]);
  });

  it('ignores duplicate events: no stage starts twice and the manifest is not rewritten', async () => {
    const run = await newRun();
    await on({ type: 'run.created', run_id: run });
    const before = await h.objects.head(manifestKey(run, 0));
    await h.drain('generate');
    await generated(run, 0, 0);
    await judged(run, 0, 0);
    await generated(run, 0, 1);
    await judged(run, 0, 1);
    expect(await tasks('judge')).toEqual(['judge:0:0', 'judge:0:1']);
    expect(await tasks('train')).toEqual(['train:0']);
    for (const event of [
      { type: 'run.created', run_id: run },
      { type: 'shard.generated', run_id: run, round: 0, shard: 0 },
      { type: 'shard.generated', run_id: run, round: 0, shard: 1 },
      { type: 'shard.judged', run_id: run, round: 0, shard: 1 },
    ] as RunEvent[]) {
      expect((await on(event)).commands).toEqual([]);
    }
    for (const kind of ['generate', 'judge', 'train'] as const) expect(await tasks(kind)).toEqual([]);
    expect((await h.objects.head(manifestKey(run, 0)))?.etag).toBe(before?.etag);

    await trained(run, 0);
    expect(await tasks('generate')).toEqual(['generate:1:0', 'generate:1:1']);
    expect((await on({ type: 'checkpoint.ready', run_id: run, round: 0 })).commands).toEqual([]);
    expect(await tasks('generate')).toEqual([]);
  });

  it('copes with out-of-order events', async () => {
    const run = await newRun();
    // a judged shard seen before its generated event: no judge task for it, ever
    await on({ type: 'run.created', run_id: run });
    await h.drain('generate');
    await judged(run, 0, 0);
    await generated(run, 0, 0);
    expect(await tasks('judge')).toEqual([]);
    // a stale checkpoint.ready for a round whose successor already started does nothing
    await generated(run, 0, 1);
    await judged(run, 0, 1);
    await trained(run, 0);
    await h.drain('generate');
    expect((await on({ type: 'checkpoint.ready', run_id: run, round: 0 })).commands).toEqual([]);
    // out-of-range rounds and shards are ignored with a note
    const stray = await on({ type: 'shard.judged', run_id: run, round: 7, shard: 0 });
    expect(stray.commands).toEqual([]);
    expect(stray.notes.join()).toMatch(/outside this run's rounds/);
    expect((await on({ type: 'shard.generated', run_id: run, round: 0, shard: 9 })).notes.join()).toMatch(/outside this run's shards/);
    // an unknown run is ignored
    expect((await on({ type: 'run.created', run_id: 'acme--nobody' })).notes.join()).toMatch(/unknown run/);
  });

  it('a checkpoint.ready without _COMPLETE in the listing starts nothing (the event is a hint)', async () => {
    const run = await newRun();
    await on({ type: 'run.created', run_id: run });
    await h.drain('generate');
    await h.objects.put(checkpointFileKey(run, 1, 'config.json'), '{}'); // torn: files, no marker
    const early = await on({ type: 'checkpoint.ready', run_id: run, round: 0 });
    expect(early.commands).toEqual([]);
    expect(early.notes.join()).toMatch(/no _COMPLETE/);
    expect(await h.objects.exists(manifestKey(run, 1))).toBe(false);
    expect(await tasks('generate')).toEqual([]);
    // The trainer's real event, after its marker, starts round 1.
    expect((await trained(run, 0)).commands.map((c) => c.kind)).toEqual(['write_manifest', 'enqueue_generate']);
  });

  it('two finishers racing on the last shard start training at least once (a duplicate is harmless)', async () => {
    const run = await newRun();
    await on({ type: 'run.created', run_id: run });
    await generated(run, 0, 0);
    await generated(run, 0, 1);
    await h.drain('judge');
    // both judges finished their shard before either event is handled
    await judged(run, 0, 0, { event: false });
    await judged(run, 0, 1, { event: false });
    await Promise.all([on({ type: 'shard.judged', run_id: run, round: 0, shard: 0 }), on({ type: 'shard.judged', run_id: run, round: 0, shard: 1 })]);
    const train = await tasks('train');
    expect(train.length).toBeGreaterThanOrEqual(1);
    expect(train.length).toBeLessThanOrEqual(2);
    expect(new Set(train)).toEqual(new Set(['train:0']));
    expect(await h.objects.exists(enqueuedMarkerKey(run, 0, 'train'))).toBe(true);
    // and once the marker is there, a third delivery does nothing
    expect((await on({ type: 'shard.judged', run_id: run, round: 0, shard: 1 })).commands).toEqual([]);
  });

  it('writes identical manifests whoever writes them (deterministic content)', async () => {
    const run = await newRun();
    await Promise.all([on({ type: 'run.created', run_id: run }), on({ type: 'run.created', run_id: run })]);
    const stored = await h.objects.getText(manifestKey(run, 0));
    const loaded = await loadRun(h.deps.store, run);
    const pool = await readPool(h.deps.store, run);
    if (loaded === null) throw new Error('run not found');
    expect(`${JSON.stringify(buildManifest(loaded.record, 0, pool, loaded.objects), null, 2)}\n`).toBe(stored);
    const generate = await tasks('generate');
    expect(new Set(generate)).toEqual(new Set(['generate:0:0', 'generate:0:1']));
  });

  it('stops on cancel and resumes from what exists', async () => {
    const run = await newRun();
    await on({ type: 'run.created', run_id: run });
    await h.drain('generate');
    expect((await h.call('POST', `/v1/runs/${run}/cancel`)).status).toBe(200);
    const result = await generated(run, 0, 0);
    expect(result.commands).toEqual([]);
    expect(result.notes.join()).toMatch(/cancelled/);
    expect(await tasks('judge')).toEqual([]);

    expect((await h.call('POST', `/v1/runs/${run}/resume`)).status).toBe(202);
    const [resumed] = (await h.drain('events')) as RunEvent[];
    expect(resumed).toEqual({ type: 'run.resumed', run_id: run });
    await on(resumed as RunEvent);
    expect(await h.objects.getJson(runStatusKey(run))).toMatchObject({ status: 'running' });
    expect(await tasks('generate')).toEqual(['generate:0:1']); // the missing shard only
    expect(await tasks('judge')).toEqual(['judge:0:0']); // the generated, unjudged shard
  });

  it('records a failed unit, stops the run, and resume re-enqueues the unit', async () => {
    const run = await newRun();
    await on({ type: 'run.created', run_id: run });
    await h.drain('generate');
    await generated(run, 0, 0);
    await h.drain('judge');
    const failed = await on({ type: 'unit.failed', run_id: run, round: 0, stage: 'judge', shard: 0, reason: 'dead-lettered after 5 receives' });
    expect(failed.commands.map((c) => c.kind)).toEqual(['record_failure', 'set_status']);
    expect((await generated(run, 0, 1)).commands).toEqual([]);
    await on({ type: 'run.resumed', run_id: run });
    expect(await tasks('judge')).toEqual(['judge:0:0', 'judge:0:1']);
  });
});
