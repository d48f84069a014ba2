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
import { buildSftTrainStep, createRng, initializeWeights, parameterShapes, presetConfig, type LlamaConfig } from '@sppo/model';
import { summarizeProfile } from './lib/ort-profile.ts';

const THREADS = 2;

interface ProfileCase {
  name: string;
  config: LlamaConfig;
  batchSize: number;
  seqLen: number;
  steps: number;
}

function cases(): ProfileCase[] {
  const small = presetConfig('small', { vocabSize: 512 });
  const big: LlamaConfig = { ...small, vocab_size: 32000, hidden_size: 512, intermediate_size: 1376, num_hidden_layers: 8, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 64 };
  return [
    { name: '3M', config: small, batchSize: 8, seqLen: 128, steps: 5 },
    { name: '40M', config: big, batchSize: 4, seqLen: 256, steps: 2 },
    // SmolLM2-135M's shape, as in bench train-step (not in the default list: ~1 minute).
    {
      name: '125M',
      config: { ...small, vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, head_dim: 64, rope_theta: 100000, max_position_embeddings: 8192 },
      batchSize: 2,
      seqLen: 256,
      steps: 2,
    },
  ];
}

function batchOf(c: ProfileCase): Record<string, TensorData> {
  const rng = createRng(1234);
  const n = c.batchSize * c.seqLen;
  const ids = BigInt64Array.from({ length: n }, () => BigInt(3 + Math.floor(rng.uniform() * (c.config.vocab_size - 3))));
  const dims = [c.batchSize, c.seqLen];
  return {
    input_ids: { dtype: 'int64', dims, data: ids },
    attention_mask: { dtype: 'int64', dims, data: new BigInt64Array(n).fill(1n) },
    response_mask: { dtype: 'int64', dims, data: BigInt64Array.from({ length: n }, (_, i) => (i % c.seqLen >= c.seqLen / 4 ? 1n : 0n)) },
  };
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
