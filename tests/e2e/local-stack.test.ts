/**
 * The whole system as a user runs it (issue 7, "What it must show"): `./sppo up` starts the
 * emulator, the gateway over real HTTP, the events worker and one process per service; `./sppo run`
 * submits a recipe and follows it; after that single POST nobody calls anything, and the run goes
 * through two rounds on its own (each checkpoint.ready starts the next round) to `completed`.
 * Then Ctrl-C (SIGINT) stops `up` and every child cleanly.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fastRunConfig, recipeYaml } from '../helpers/runs.ts';
import { exitOf, sppoCli as cli, startSppoUp, type SppoUp } from '../helpers/sppo-cli.ts';
import { runInitModel } from '../../packages/cli/src/commands/init-model.ts';

const API_KEY = 'sk-e2e-local-stack-key';
const ROUNDS = 2;
const STACK_READY_MS = 60_000;
const RUN_DONE_MS = 240_000;

let work: string;
let up: SppoUp;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sppo-e2e-'));
  // A tiny random policy as a local folder: the gateway records the path and the workers read it.
  expect(await runInitModel(['--out', join(work, 'base'), '--preset', 'tiny', '--seed', '7'])).toBe(0);
  up = await startSppoUp({ dataDir: join(work, 'emulator'), apiKey: API_KEY, readyMs: STACK_READY_MS });
}, STACK_READY_MS + 30_000);

afterAll(async () => {
  if (up && up.child.exitCode === null) {
    up.child.kill('SIGKILL');
    await exitOf(up.child);
  }
  if (work) await rm(work, { recursive: true, force: true });
});

test('a run submitted once goes through two rounds by itself, then Ctrl-C stops the stack', async () => {
  const { gatewayUrl } = up;
  const health = await fetch(`${gatewayUrl}/health/ready`);
  expect(health.status, await health.clone().text()).toBe(200);
  // The dashboard's sign-in link, with the key in the fragment (never sent to the server).
  expect(up.output()).toContain(`dashboard ${gatewayUrl}/#key=${API_KEY}`);
  expect((await fetch(`${gatewayUrl}/`)).headers.get('content-type')).toContain('text/html');

  const recipe = join(work, 'recipe.yaml');
  await writeFile(recipe, recipeYaml(fastRunConfig({ model: join(work, 'base'), rounds: ROUNDS, extra: { samples_per_prompt: 3 } })));
  const run = cli(['run', recipe, `--gateway=${gatewayUrl}`, `--api-key=${API_KEY}`, '--interval=1']);
  let runOutput = '';
  run.stdout!.on('data', (d: Buffer) => (runOutput += d.toString()));
  run.stderr!.on('data', (d: Buffer) => (runOutput += d.toString()));
  const timer = setTimeout(() => run.kill('SIGKILL'), RUN_DONE_MS);
  const code = await exitOf(run);
  clearTimeout(timer);
  expect(code, `./sppo run:\n${runOutput}\n./sppo up:\n${up.output().slice(-4000)}`).toBe(0);

  // The run as the API reports it: completed, no failures, every round trained.
  const list = (await (await fetch(`${gatewayUrl}/v1/runs`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { runs: { run_id: string }[] };
  expect(list.runs).toHaveLength(1);
  const runId = list.runs[0]!.run_id;
  const view = (await (await fetch(`${gatewayUrl}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as {
    status: string;
    failures: unknown[];
  };
  expect(view.status).toBe('completed');
  expect(view.failures).toEqual([]);
  for (let t = 0; t < ROUNDS; t++) {
    const round = (await (await fetch(`${gatewayUrl}/v1/runs/${runId}/rounds/${t}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as Record<string, unknown>;
    expect(JSON.stringify(round), `round ${t}`).toContain(`checkpoints/${t + 1}/`);
  }

  // Ctrl-C: up stops its children and exits 0; the emulator's state stays on disk.
  up.child.kill('SIGINT');
  expect(await exitOf(up.child)).toBe(0);
  expect((await readdir(join(work, 'emulator'))).length).toBeGreaterThan(0);
}, RUN_DONE_MS + 60_000);
