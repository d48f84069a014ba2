/**
 * The checkpoint contract between services (ARCHITECTURE 3.2, 3.4): `_COMPLETE` is written last
 * and a checkpoint without it does not exist; checkpoint 0 is the base model the gateway copies.
 * These checks run the services' own code (the gateway's createApp and handleEvent, the trainer's
 * fetchCheckpoint) against the real emulator, without worker processes, so they take seconds.
 * Two of them expose bugs in services this suite does not own and are marked `test.fails` with the
 * reason (tests/README.md, "Known bugs").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkpointCompleteKey, checkpointFileKey, checkpointPrefix, manifestKey, runStatusKey } from '@sppo/core';
import { cloudPorts, handleEvent } from '@sppo/gateway';
import { fetchCheckpoint } from '@sppo/trainer';
import { reportFigures } from '../helpers/figures.ts';
import { createRun, fastRunConfig } from '../helpers/runs.ts';
import { startSystem, type System } from '../helpers/system.ts';
import { uploadTinyModel } from '../helpers/tiny-model.ts';

let system: System;
let model: string;
let cacheDir: string;
const figures = { faults_injected: 0, known_bug_hits: 0 };

beforeAll(async () => {
  system = await startSystem({ services: [] });
  model = await uploadTinyModel(system.objects);
  cacheDir = await mkdtemp(join(tmpdir(), 'sppo-contract-'));
});

afterAll(async () => {
  reportFigures('faults/checkpoint-contract', figures);
  await system?.stop();
  await rm(cacheDir, { recursive: true, force: true });
});

/** Copies the base model's files (not its _COMPLETE) into checkpoints/{t}/: a torn checkpoint. */
async function tearCheckpoint(runId: string, t: number): Promise<void> {
  for (const { key } of await system.objects.list(`${model}/`)) {
    const name = key.slice(model.length + 1);
    if (name !== '_COMPLETE') await system.objects.put(checkpointFileKey(runId, t, name), await system.objects.getBytes(key));
  }
  figures.faults_injected += 1;
}

test('the trainer refuses a reference checkpoint without _COMPLETE', async () => {
  const runId = await createRun(system, fastRunConfig({ model }));
  await tearCheckpoint(runId, 1);
  await expect(fetchCheckpoint(system.objects, runId, 1, cacheDir)).rejects.toThrow(/_COMPLETE/);
});

// services/gateway runs/base-checkpoint.ts writes checkpoints/0/_COMPLETE as
// { source, files: ["config.json", ...] }; services/trainer inputs.ts (adoptUploadManifest) reads a
// marker without `format` as cloud's upload manifest { files: [{ path, size }] } and calls
// join(dir, f.path) with f.path undefined: TypeError, retried as a transient error, so round 0 of
// every run whose base model is in the bucket fails after maxReceiveCount attempts. The other fault
// tests work around it (helpers/runs.ts createRun fixBaseMarker).
test.fails('the trainer loads checkpoint 0 exactly as the gateway copied it', async () => {
  const runId = await createRun(system, fastRunConfig({ model }), { fixBaseMarker: false });
  expect(await system.objects.exists(checkpointCompleteKey(runId, 0))).toBe(true);
  const checkpoint = await fetchCheckpoint(system.objects, runId, 0, cacheDir);
  expect(checkpoint.config.vocab_size).toBeGreaterThan(0);
});

// packages/core state/machine.ts, case 'checkpoint.ready': the event alone sets
// round.checkpointComplete = true and emits complete_run (last round) or the next round's start,
// without the listing showing checkpoints/{t+1}/_COMPLETE. A checkpoint.ready that is not backed by
// _COMPLETE (a stray or early event: S3 notifications, a buggy or foreign producer) completes the
// run with a torn final checkpoint. The host should require the marker (one HEAD or the listing).
test.fails('a checkpoint.ready without _COMPLETE neither completes the run nor starts the next round', async () => {
  const ports = { ...cloudPorts(system.config) };
  for (const rounds of [1, 2]) {
    const runId = await createRun(system, fastRunConfig({ model, rounds }));
    await handleEvent({ type: 'run.created', run_id: runId }, ports);
    expect(await system.objects.exists(manifestKey(runId, 0))).toBe(true);
    await tearCheckpoint(runId, 1);
    await handleEvent({ type: 'checkpoint.ready', run_id: runId, round: 0 }, ports);
    const completed = (await system.objects.exists(runStatusKey(runId))) && (await system.objects.getText(runStatusKey(runId))).includes('"completed"');
    const nextStarted = await system.objects.exists(manifestKey(runId, 1));
    if (completed || nextStarted) figures.known_bug_hits += 1;
    expect({ rounds, completed, nextStarted }).toEqual({ rounds, completed: false, nextStarted: false });
    expect((await system.objects.list(checkpointPrefix(runId, 1))).some((o) => o.key.endsWith('/_COMPLETE'))).toBe(false);
  }
});
