// `./sppo bench train-step`: our fused SFT training step (forward + backward + global-norm clip +
// AdamW in one ONNX graph, packages/model buildSftTrainStep run by autodiff's createTrainStepper)
// against the same model and step in PyTorch on CPU (bench/train_step_torch.py), float32, 2 threads.
//
// Both sides run as child processes of this one (so each peak RSS is its own), start from the same
// weights (a safetensors file written here) and the same batch, and are timed in the same run:
// warm-up, then rounds in which each side takes its turn (the order rotates), median step time.
// Sanity checks in each row: the first loss and the forward log-probs after training agree.
// Prints ONE JSON object on stdout: { "bench": "train-step", "rows": [...] }; progress on stderr.
//
// Our side runs twice (train-step/ours-child.ts): the production stepper, whose numbers are the
// row's headline, and a 'lean' single session with the memory arena off (the row's `lean`).
//
// Options: --case=3M|40M (default both), --quick (fewer rounds, for a smoke run).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { countParameters, createRng, initializeWeights, llamaConfigToJson, presetConfig, serializeWeights, type LlamaConfig } from '@sppo/model';
import { findTorchPython } from './lib/torch-python.ts';
import type { InitMessage, Message, Reply } from './train-step/protocol.ts';

interface BenchCase {
  name: string;
  config: LlamaConfig;
  batchSize: number;
  seqLen: number;
  warmup: number;
  rounds: number;
  stepsPerRound: number;
  forwardRounds: number;
  forwardPerRound: number;
}

const THREADS = 2;
const LR = 1e-4;
const WEIGHT_DECAY = 0.01;
const MAX_GRAD_NORM = 1.0;
const LOSS_TOLERANCE = 1e-4;

function cases(quick: boolean): BenchCase[] {
  const q = (full: number, short: number): number => (quick ? short : full);
  // ENGINE-NOTES sizes: the `small` preset (~3M, seq 128, batch 8) and a ~40M model with a 32k
  // vocabulary (d 512, 8 layers, seq 256, batch 4), both with tied embeddings like our presets.
  const small = presetConfig('small', { vocabSize: 512 });
  const big: LlamaConfig = {
    ...small,
    vocab_size: 32000,
    hidden_size: 512,
    intermediate_size: 1376,
    num_hidden_layers: 8,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    head_dim: 64,
  };
  return [
    { name: '3M', config: small, batchSize: 8, seqLen: 128, warmup: 2, rounds: q(4, 2), stepsPerRound: q(3, 1), forwardRounds: q(3, 1), forwardPerRound: q(3, 2) },
    // Few 40M steps keep a full run near 5 minutes even on a busy machine (the peer slows most).
    { name: '40M', config: big, batchSize: 4, seqLen: 256, warmup: 1, rounds: q(3, 1), stepsPerRound: 1, forwardRounds: q(2, 1), forwardPerRound: 1 },
  ];
}

interface Child {
  request(message: Message): Promise<Reply>;
  close(): Promise<void>;
}

function startChild(command: string, args: string[], env: NodeJS.ProcessEnv, label: string): Child {
  const proc: ChildProcessWithoutNullStreams = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
  return {
    async request(message) {
      proc.stdin.write(`${JSON.stringify(message)}\n`);
      const next = await lines.next();
      if (next.done) {
        const code = await exited;
        throw new Error(`${label} child exited (code ${code}) during ${message.cmd}:\n${stderr.slice(-4000)}`);
      }
      return JSON.parse(next.value) as Reply;
    },
    async close() {
      proc.stdin.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Orchestrator.

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** A deterministic batch: random ids, full rows, the first quarter prompt and the rest response. */
function makeBatch(c: BenchCase): InitMessage['batch'] {
  const rng = createRng(1234);
  const ids = Array.from({ length: c.batchSize }, () => Array.from({ length: c.seqLen }, () => 3 + Math.floor(rng.uniform() * (c.config.vocab_size - 3))));
  return {
    input_ids: ids,
    attention_mask: ids.map((row) => row.map(() => 1)),
    response_mask: ids.map((row) => row.map((_, t) => (t >= c.seqLen / 4 ? 1 : 0))),
  };
}

function log(message: string): void {
  process.stderr.write(`bench train-step: ${message}\n`);
}

const round1 = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

interface Contender {
  name: 'ours' | 'lean' | 'torch';
  child: Child;
  stepMs: number[];
  forwardMs: number[];
  firstLoss: number;
  lastLoss: number;
  baseMb: number;
  peakMb: number;
  logps: number[];
}

function contender(name: Contender['name'], child: Child): Contender {
  return { name, child, stepMs: [], forwardMs: [], firstLoss: NaN, lastLoss: NaN, baseMb: 0, peakMb: 0, logps: [] };
}

/** Runs `fn` for every contender, in an order that rotates each round (no side always goes first). */
async function inTurn(all: Contender[], round: number, fn: (c: Contender) => Promise<void>): Promise<void> {
  for (let i = 0; i < all.length; i++) await fn(all[(i + round) % all.length] as Contender);
}

async function runCase(c: BenchCase, python: string, dir: string): Promise<Record<string, unknown>> {
  const weightsPath = join(dir, `${c.name}.safetensors`);
  await writeFile(weightsPath, serializeWeights(c.config, initializeWeights(c.config, { seed: 0 })));
  const init: InitMessage = {
    cmd: 'init',
    config: llamaConfigToJson(c.config),
    weights: weightsPath,
    batch: makeBatch(c),
    lr: LR,
    weight_decay: WEIGHT_DECAY,
    max_grad_norm: MAX_GRAD_NORM,
    threads: THREADS,
  };
  const oursScript = fileURLToPath(new URL('./train-step/ours-child.ts', import.meta.url));
  const node = (driver: 'stepper' | 'lean'): Child =>
    startChild(process.execPath, ['--disable-warning=ExperimentalWarning', oursScript, driver], process.env, driver);
  const torchScript = fileURLToPath(new URL('./train_step_torch.py', import.meta.url));
  const all = [
    contender('ours', node('stepper')),
    contender('lean', node('lean')),
    contender('torch', startChild(python, [torchScript], { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(THREADS) }, 'torch')),
  ];
  const [ours, lean, torch] = all as [Contender, Contender, Contender];
  try {
    await inTurn(all, 0, async (x) => {
      x.baseMb = (await x.child.request(init)).rss_mb;
    });
    log(`${c.name}: ${(countParameters(c.config) / 1e6).toFixed(1)}M params; warm-up ${c.warmup} steps each`);
    await inTurn(all, 0, async (x) => {
      const r = await x.child.request({ cmd: 'steps', n: c.warmup });
      x.firstLoss = r.loss?.[0] ?? NaN;
    });
    for (let round = 0; round < c.rounds; round++) {
      await inTurn(all, round, async (x) => {
        const r = await x.child.request({ cmd: 'steps', n: c.stepsPerRound });
        x.stepMs.push(...(r.ms ?? []));
        x.lastLoss = r.loss?.at(-1) ?? NaN;
        x.peakMb = r.maxrss_mb; // ru_maxrss after training, before the forward phase
      });
      log(`${c.name}: round ${round + 1}/${c.rounds}: median step ${all.map((x) => `${x.name} ${Math.round(median(x.stepMs))} ms`).join(', ')}`);
    }
    await inTurn(all, 0, async (x) => {
      x.logps = (await x.child.request({ cmd: 'forward', n: 1 })).logps ?? [];
    });
    for (let round = 0; round < c.forwardRounds; round++) {
      await inTurn(all, round, async (x) => {
        x.forwardMs.push(...((await x.child.request({ cmd: 'forward', n: c.forwardPerRound })).ms ?? []));
      });
    }
  } finally {
    await Promise.all(all.map((x) => x.child.close()));
  }
  const tokens = c.batchSize * c.seqLen;
  const tokensPerS = (x: Contender): number => Math.round(tokens / (median(x.forwardMs) / 1000));
  const relDiff = (x: Contender): number =>
    Math.max(...x.logps.map((v, i) => Math.abs(v - (torch.logps[i] as number)) / Math.max(1, Math.abs(torch.logps[i] as number))));
  const speedup = median(torch.stepMs) / median(ours.stepMs);
  const memoryRatio = ours.peakMb / torch.peakMb;
  return {
    case: c.name,
    speedup: round1(speedup, 3),
    ours_ms: round1(median(ours.stepMs)),
    torch_ms: round1(median(torch.stepMs)),
    // Fastest steps: less sensitive than medians to other processes on a shared machine.
    best_ms: { ours: round1(Math.min(...ours.stepMs)), lean: round1(Math.min(...lean.stepMs)), torch: round1(Math.min(...torch.stepMs)) },
    ours_peak_mb: Math.round(ours.peakMb),
    torch_peak_mb: Math.round(torch.peakMb),
    memory_ratio: round1(memoryRatio, 3),
    forward_tokens_per_s: { ours: tokensPerS(ours), torch: tokensPerS(torch), lean: tokensPerS(lean), speedup: round1(median(torch.forwardMs) / median(ours.forwardMs), 3) },
    loss_ours: ours.firstLoss,
    loss_torch: torch.firstLoss,
    loss_abs_diff: Math.abs(ours.firstLoss - torch.firstLoss),
    loss_check: Math.abs(ours.firstLoss - torch.firstLoss) <= LOSS_TOLERANCE && Math.abs(lean.firstLoss - torch.firstLoss) <= LOSS_TOLERANCE ? 'ok' : 'MISMATCH',
    loss_after_steps: { steps: c.warmup + c.rounds * c.stepsPerRound, ours: ours.lastLoss, lean: lean.lastLoss, torch: torch.lastLoss },
    forward_logps_max_rel_diff: { ours: relDiff(ours), lean: relDiff(lean) },
    lean: {
      note: 'same graph, one main-thread session with enableCpuMemArena: false, no JS copy of the weights',
      speedup: round1(median(torch.stepMs) / median(lean.stepMs), 3),
      ms: round1(median(lean.stepMs)),
      peak_mb: Math.round(lean.peakMb),
      memory_ratio: round1(lean.peakMb / torch.peakMb, 3),
    },
    base_rss_mb: { ours: Math.round(ours.baseMb), lean: Math.round(lean.baseMb), torch: Math.round(torch.baseMb) },
    params: countParameters(c.config),
    batch_size: c.batchSize,
    seq_len: c.seqLen,
    steps_timed: ours.stepMs.length,
    forwards_timed: ours.forwardMs.length,
    targets: { speedup_min: 1.67, memory_ratio_max: 1.5, met: speedup >= 1.67 && memoryRatio <= 1.5 },
  };
}

async function main(argv: string[]): Promise<number> {
  const python = findTorchPython();
  if (python === undefined) {
    process.stderr.write(
      'bench train-step: no python3 with PyTorch found (tried $SPPO_BENCH_PYTHON, python3 on PATH, /usr/bin/python3).\n' +
        'Install the peer with: apt-get install python3-torch libopenblas0-pthread (or set SPPO_BENCH_PYTHON to a python with torch).\n',
    );
    return 2;
  }
  const only = argv.find((a) => a.startsWith('--case='))?.slice('--case='.length);
  const all = cases(argv.includes('--quick'));
  const selected = only === undefined ? all : all.filter((c) => c.name === only);
  if (selected.length === 0) {
    process.stderr.write(`bench train-step: unknown --case=${only}. Valid cases: ${all.map((c) => c.name).join(', ')}\n`);
    return 2;
  }
  const torchVersion = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
  const loadBefore = loadavg().map((x) => round1(x, 2));
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'sppo-bench-train-step-'));
  const rows: Record<string, unknown>[] = [];
  try {
    for (const c of selected) rows.push(await runCase(c, python, dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const result = {
    bench: 'train-step',
    rows,
    environment: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      threads: THREADS,
      load_average_before: loadBefore,
      load_average_after: loadavg().map((x) => round1(x, 2)),
      duration_s: Math.round((performance.now() - started) / 1000),
      node: process.version,
      torch: torchVersion,
      peer: 'PyTorch eager CPU, torch.set_num_threads(2), OPENBLAS_NUM_THREADS=1',
      step: `SFT loss, backward, clip_grad_norm ${MAX_GRAD_NORM}, AdamW lr ${LR} wd ${WEIGHT_DECAY}, float32`,
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
