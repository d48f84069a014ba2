/**
 * The S3 + SQS emulator restarted mid-run with persistence on (issue 10, part 1): packages/cloud's
 * startEmulator with a dataDir, stopped and started again on the same port, twice during a 2-round
 * run (while round 0 trains, and while round 1 generates). The workers' calls fail while it is
 * down (their worker loops back off and poll again); queues, in-flight messages and objects come
 * back from SQLite; the run continues to the end with one row per prompt and every checkpoint.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkpointProblems } from '../helpers/checkpoints.ts';
import { reportFigures } from '../helpers/figures.ts';
import { auditRun, createRun, fastRunConfig, rowDefects, waitForRun, within } from '../helpers/runs.ts';
import { startSystem, type System } from '../helpers/system.ts';
import { uploadTinyModel } from '../helpers/tiny-model.ts';

const ROUNDS = 2;
let system: System;
let model: string;
const figures = { emulator_restarts: 0, rows_lost: 0, rows_duplicated: 0, checkpoints_lost: 0 };

beforeAll(async () => {
  system = await startSystem({ visibilitySeconds: 3, maxReceiveCount: 5, persistent: true });
  model = await uploadTinyModel(system.objects);
});

afterAll(async () => {
  reportFigures('faults/emulator-restart', figures);
  await system?.stop();
});

test('the run continues to the end across two emulator restarts', async () => {
  const { processes } = system;
  const runId = await createRun(system, fastRunConfig({ model, prompts: 4, promptsPerShard: 2, rounds: ROUNDS }));
  const ofRun = (event: string, round: number) => (l: { json: Record<string, unknown> | null }) => l.json?.event === event && l.json.run_id === runId && l.json.round === round;

  await within(processes.waitForLog(ofRun('train.started', 0), 90_000, 'round 0 training'), 95_000, 'round 0 training');
  const port = system.emulator.port;
  await system.restartEmulator({ downMs: 1_500 });
  figures.emulator_restarts += 1;
  expect(system.emulator.port).toBe(port);

  await within(processes.waitForLog(ofRun('generate.started', 1), 90_000, 'round 1 generation'), 95_000, 'round 1 generation');
  await system.restartEmulator({ downMs: 1_500 });
  figures.emulator_restarts += 1;

  const view = await waitForRun(system, runId, { timeoutMs: 150_000 });
  expect(view.status, JSON.stringify(view.failures)).toBe('completed');
  expect(view.failures).toEqual([]);
  const audit = await auditRun(system.objects, runId, ROUNDS);
  const defects = rowDefects(audit);
  figures.rows_lost += defects.lost;
  figures.rows_duplicated += defects.duplicated;
  figures.checkpoints_lost += ROUNDS - audit.completeCheckpoints;
  expect(defects.details).toEqual([]);
  expect(audit.strayKeys).toEqual([]);
  expect(audit.completeCheckpoints).toBe(ROUNDS);
  for (let t = 1; t <= ROUNDS; t++) expect(await checkpointProblems(system.objects, runId, t)).toEqual([]);
  // The workers did see the outage and recovered on their own.
  expect(processes.logs.some((l) => l.json?.event === 'worker.receive_failed' || l.json?.event === 'message.failed')).toBe(true);
});
