// `./sppo bench profile-train-step`: where a training step's time goes, from ORT's own profiler.
// The same SFT step as `bench train-step` (its 3M and 40M cases), run through autodiff's host with
// the stepper's default session options (arena and memory pattern off) plus profiling, on this thread: warm-up steps, then
// profiled steps whose kernel time is summed per op type (lib/ort-profile.ts). bench/README.md
// keeps the before/after of each engine change.
//
// Options: --case=3M|40M|125M (default 3M and 40M), --steps=N profiled steps (default 5 at 3M, 2 at 40M),
// --session='{"enableCpuMemArena":false}' to profile other session options.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHost, optimizerScalars, type SessionOptions, type TensorData } from '@sppo/autodiff';
import { buildSftTrainStep, initializeWeights, parameterShapes } from '@sppo/model';
import { trainBatch, trainShapes, type TrainShape } from './lib/models.ts';
import { summarizeProfile } from './lib/ort-profile.ts';

const THREADS = 2;

interface ProfileCase extends TrainShape {
  steps: number;
}

/** The train-step cases; 125M (~1 minute) only when asked for by name. */
function cases(): ProfileCase[] {
  return trainShapes().map((shape) => ({ ...shape, steps: shape.name === '3M' ? 5 : 2 }));
}

function batchOf(c: ProfileCase): Record<string, TensorData> {
  const b = trainBatch(c);
  const dims = [c.batchSize, c.seqLen];
  const tensor = (rows: number[][]): TensorData => ({ dtype: 'int64', dims, data: BigInt64Array.from(rows.flat(), (v) => BigInt(v)) });
  return { input_ids: tensor(b.input_ids), attention_mask: tensor(b.attention_mask), response_mask: tensor(b.response_mask) };
}

async function profileCase(c: ProfileCase, steps: number, session: SessionOptions): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'sppo-profile-'));
  const graph = buildSftTrainStep({ config: c.config, batchSize: c.batchSize, sequenceLength: c.seqLen, optimizer: { type: 'adamw', weightDecay: 0.01 }, maxGradNorm: 1 });
  const host = createLocalHost();
  try {
    const options: SessionOptions = { intraOpNumThreads: THREADS, interOpNumThreads: 1, enableCpuMemArena: false, enableMemPattern: false, ...session };
    await host.load('step', graph.model, { ...options, profileFilePrefix: join(dir, 'step') });
    const weights = initializeWeights(c.config, { seed: 0 });
    const held: Record<string, TensorData> = {};
    for (const { name, shape } of parameterShapes(c.config)) held[name] = { dtype: 'float32', dims: shape, data: weights.get(name) as Float32Array };
    for (const s of graph.state) held[s.name] = { dtype: 'float32', dims: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) };
    await host.setTensors(held);
    const batch = batchOf(c);
    const warmup = 2;
    const wall: number[] = [];
    for (let i = 1; i <= warmup + steps; i++) {
      const scalars: Record<string, TensorData> = {};
      for (const [n, v] of Object.entries(optimizerScalars(graph.optimizer!, i, 1e-4))) scalars[n] = { dtype: 'float32', dims: [], data: Float32Array.of(v) };
      const t = performance.now();
      await host.run({ key: 'step', feeds: { ...batch, ...scalars }, carry: graph.carry, fetch: graph.outputs, inPlace: graph.carryInPlace });
      if (i > warmup) wall.push(Math.round(performance.now() - t));
    }
    await host.close(); // ORT writes the profile when the session is released
    const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`profile-train-step: ORT wrote no profile into ${dir}`);
    const summary = summarizeProfile(JSON.parse(await readFile(join(dir, file), 'utf8')), steps);
    return { case: c.name, session: options, steps_profiled: steps, step_wall_ms: wall, ...summary };
  } finally {
    await host.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
const only = argv.find((a) => a.startsWith('--case='))?.slice('--case='.length);
const stepsArg = argv.find((a) => a.startsWith('--steps='))?.slice('--steps='.length);
const session = JSON.parse(argv.find((a) => a.startsWith('--session='))?.slice('--session='.length) ?? '{}') as SessionOptions;
const selected = cases().filter((c) => (only === undefined ? c.name !== '125M' : c.name === only));
if (selected.length === 0) {
  process.stderr.write(`profile-train-step: unknown --case=${only}. Valid cases: ${cases().map((c) => c.name).join(', ')}\n`);
  process.exitCode = 2;
} else {
  const rows = [];
  for (const c of selected) rows.push(await profileCase(c, stepsArg ? Number(stepsArg) : c.steps, session));
  process.stdout.write(`${JSON.stringify({ bench: 'profile-train-step', rows }, null, 2)}\n`);
}
