/**
 * recipes/local-tiny.yaml as a user runs it (issue 15 part 5): `./sppo up`, then
 * `./sppo run recipes/local-tiny.yaml` with the file as it is in the repository. Its policy is
 * `preset:tiny`, which `./sppo run` builds first (here into a temporary --models-dir); the run goes
 * through both rounds to `completed` with nothing downloaded.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { exitOf, sppoCli as cli, startSppoUp, type SppoUp } from '../helpers/sppo-cli.ts';

const API_KEY = 'sk-e2e-recipe-local-tiny';
const STACK_READY_MS = 60_000;
const RUN_DONE_MS = 240_000;

let work: string;
let up: SppoUp;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sppo-e2e-recipe-'));
  up = await startSppoUp({ dataDir: join(work, 'emulator'), apiKey: API_KEY, readyMs: STACK_READY_MS });
}, STACK_READY_MS + 30_000);

afterAll(async () => {
  if (up && up.child.exitCode === null) {
    up.child.kill('SIGINT');
    await exitOf(up.child);
  }
  if (work) await rm(work, { recursive: true, force: true });
});

test('./sppo run recipes/local-tiny.yaml completes on the ./sppo up stack', async () => {
  const { gatewayUrl } = up;
  const models = join(work, 'models');
  const run = cli(['run', 'recipes/local-tiny.yaml', `--gateway=${gatewayUrl}`, `--api-key=${API_KEY}`, '--interval=1', `--models-dir=${models}`]);
  let runOutput = '';
  for (const stream of [run.stdout!, run.stderr!]) stream.on('data', (d: Buffer) => (runOutput += d.toString()));
  const timer = setTimeout(() => run.kill('SIGKILL'), RUN_DONE_MS);
  const code = await exitOf(run);
  clearTimeout(timer);
  expect(code, `./sppo run:\n${runOutput}\n./sppo up:\n${up.output().slice(-4000)}`).toBe(0);
  expect(runOutput).toContain(`model preset:tiny: ${join(models, 'tiny-seed1')}`);
  expect(await readdir(join(models, 'tiny-seed1'))).toContain('_COMPLETE');

  const headers = { authorization: `Bearer ${API_KEY}` };
  const { runs } = (await (await fetch(`${gatewayUrl}/v1/runs`, { headers })).json()) as { runs: { run_id: string }[] };
  expect(runs).toHaveLength(1);
  const view = (await (await fetch(`${gatewayUrl}/v1/runs/${runs[0]!.run_id}`, { headers })).json()) as { status: string; failures: unknown[]; num_iterations: number };
  expect(view).toMatchObject({ status: 'completed', failures: [], num_iterations: 2 });
  for (let t = 0; t < 2; t++) {
    const round = await (await fetch(`${gatewayUrl}/v1/runs/${runs[0]!.run_id}/rounds/${t}`, { headers })).text();
    expect(round, `round ${t}`).toContain(`checkpoints/${t + 1}/`);
  }
}, RUN_DONE_MS + 60_000);
