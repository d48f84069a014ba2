/**
 * The checkpoint contract between services (ARCHITECTURE 3.2, 3.4): `_COMPLETE` is written last
 * and a checkpoint without it does not exist; checkpoint 0 is the base model the gateway copies.
 * These checks run the services' own code (the gateway's createApp and handleEvent, the trainer's
 * fetchCheckpoint) against the real emulator, without worker processes, so they take seconds.
 * The last two were bugs this suite found (tests/README.md, "Bugs found and fixed").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkpointCompleteKey, checkpointFileKey, checkpointPrefix, manifestKey, parseCompleteMarker, runStatusKey } from '@sppo/core';
import { localCheckpoint } from '@sppo/generator';
import { cloudPorts, handleEvent } from '@sppo/gateway';
import { fetchCheckpoint } from '@sppo/trainer';
import { reportFigures } from '../helpers/figures.ts';
import { createRun, fastRunConfig } from '../helpers/runs.ts';
import { startSystem, type System } from '../helpers/system.ts';
import { uploadTinyModel } from '../helpers/tiny-model.ts';

let system: System;
let model: string;
let cacheDir: string;
const figures = { faults_injected: 0, torn_checkpoints_used: 0 };

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

// The gateway wrote checkpoints/0/_COMPLETE as { source, files: [names] }, which the trainer read
// as cloud's upload manifest and crashed on (a TypeError, retried as transient): round 0 of every
// run whose base model is in the bucket failed. The gateway now copies the source's own marker
// (here packages/model's record) or writes cloud's upload manifest, and every reader parses it
// with core's parseCompleteMarker.
test('the trainer loads checkpoint 0 exactly as the gateway copied it', async () => {
  const runId = await createRun(system, fastRunConfig({ model }));
  // The source's own record, byte for byte.
  expect(await system.objects.getText(checkpointCompleteKey(runId, 0))).toBe(await system.objects.getText(`${model}/_COMPLETE`));
  const checkpoint = await fetchCheckpoint(system.objects, runId, 0, cacheDir);
  expect(checkpoint.config.vocab_size).toBeGreaterThan(0);
  expect(await localCheckpoint({ store: system.objects, cacheDir }, checkpointPrefix(runId, 0))).toContain(runId);
});

test('a plain HF folder (no _COMPLETE of its own) becomes a checkpoint 0 the trainer and the generator read', async () => {
  const plain = `${model}-plain`;
  for (const { key } of await system.objects.list(`${model}/`)) {
    const name = key.slice(model.length + 1);
    if (name !== '_COMPLETE') await system.objects.put(`${plain}/${name}`, await system.objects.getBytes(key));
  }
  const runId = await createRun(system, fastRunConfig({ model: plain }));
  const marker = parseCompleteMarker(await system.objects.getText(checkpointCompleteKey(runId, 0)), 'checkpoint 0');
  expect(marker.kind).toBe('upload');
  expect((await fetchCheckpoint(system.objects, runId, 0, cacheDir)).config.vocab_size).toBeGreaterThan(0);
  expect(await localCheckpoint({ store: system.objects, cacheDir }, checkpointPrefix(runId, 0))).toContain(runId);
});

// core's advance used to trust checkpoint.ready alone (round.checkpointComplete = true) and
// completed the run or started the next round on a torn checkpoint. Events are hints: advance now
// acts only when the listing shows checkpoints/{t+1}/_COMPLETE.
test('a checkpoint.ready without _COMPLETE neither completes the run nor starts the next round', async () => {
  const ports = { ...cloudPorts(system.config) };
  for (const rounds of [1, 2]) {
    const runId = await createRun(system, fastRunConfig({ model, rounds }));
    await handleEvent({ type: 'run.created', run_id: runId }, ports);
    expect(await system.objects.exists(manifestKey(runId, 0))).toBe(true);
    await tearCheckpoint(runId, 1);
    await handleEvent({ type: 'checkpoint.ready', run_id: runId, round: 0 }, ports);
    const completed = (await system.objects.exists(runStatusKey(runId))) && (await system.objects.getText(runStatusKey(runId))).includes('"completed"');
    const nextStarted = await system.objects.exists(manifestKey(runId, 1));
    if (completed || nextStarted) figures.torn_checkpoints_used += 1;
    expect({ rounds, completed, nextStarted }).toEqual({ rounds, completed: false, nextStarted: false });
    expect((await system.objects.list(checkpointPrefix(runId, 1))).some((o) => o.key.endsWith('/_COMPLETE'))).toBe(false);
  }
});
