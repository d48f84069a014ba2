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
// The peer is set up as its users set it up: the run refuses a torch on the reference BLAS, and
// for each case it first tries every thread setting of lib/torch-python.ts (torch threads x BLAS
// threads) and keeps the fastest. The run also measures this machine's float32 GEMM rate through
// ORT (1024^3 and the case's dominant shapes, same threads; the peak is the best of them) and
// reports each side's model FLOP/s (lib/flops.ts) as a share of it, and the step time that the
// model FLOPs alone would take at that peak (floor_ms_at_peak).
//
// Options: --case=3M|40M|125M (default all), --quick (fewer rounds, for a smoke run),
// --sessions (also run our stepper with the other ORT memory settings at 3M and 40M: the sweep
// behind the stepper's default, bench/README.md).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SessionOptions } from '@sppo/autodiff';
import { countParameters, initializeWeights, llamaConfigToJson, serializeWeights } from '@sppo/model';
import { llamaFlops } from './lib/flops.ts';
import { gemmRate, type GemmRate } from './lib/gemm-peak.ts';
import { median, trainBatch, trainShapes, type TrainShape } from './lib/models.ts';
import { findTorchPython, peerEnv, peerThreadSettings, requireFastBlas, type PeerThreads, type TorchBlas } from './lib/torch-python.ts';
import type { InitMessage, Message, Reply } from './train-step/protocol.ts';

interface BenchCase extends TrainShape {
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
  const [small, big, smol] = trainShapes() as [TrainShape, TrainShape, TrainShape];
  return [
    { ...small, warmup: 2, rounds: q(4, 2), stepsPerRound: q(3, 1), forwardRounds: q(3, 1), forwardPerRound: q(3, 2) },
    // Few 40M steps keep a full run near 5 minutes even on a busy machine (the peer slows most).
    { ...big, warmup: 1, rounds: q(3, 1), stepsPerRound: 1, forwardRounds: q(2, 1), forwardPerRound: 1 },
    { ...smol, warmup: 1, rounds: q(2, 1), stepsPerRound: 1, forwardRounds: q(2, 1), forwardPerRound: 1 },
  ];
}

/** The case's own GEMM shapes: the MLP's up/gate projection and the LM head, over B x T rows. */
function dominantShapes(c: BenchCase): [number, number, number][] {
  const rows = c.batchSize * c.seqLen;
  return [
    [rows, c.config.hidden_size, c.config.intermediate_size],
    [rows, c.config.hidden_size, c.config.vocab_size],
  ];
}

/** Targets of issue 14 (benchmark JSON, not tests). */
const TARGETS: Record<string, { speedup_min: number; share_of_peak_min?: number; memory_ratio_max: number }> = {
  '3M': { speedup_min: 2.5, share_of_peak_min: 0.55, memory_ratio_max: 1.5 },
  '40M': { speedup_min: 1.67, share_of_peak_min: 0.7, memory_ratio_max: 1.5 },
  '125M': { speedup_min: 1, memory_ratio_max: 1.5 },
};

/** The other ORT memory settings `--sessions` runs beside the stepper's default (both off). */
const SESSION_VARIANTS: { name: string; options: SessionOptions }[] = [
  { name: 'ort_defaults', options: { enableCpuMemArena: true, enableMemPattern: true } },
  { name: 'arena_off', options: { enableCpuMemArena: false, enableMemPattern: true } },
];

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

function log(message: string): void {
  process.stderr.write(`bench train-step: ${message}\n`);
}

const round1 = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

interface Contender {
  name: string;
  child: Child;
  stepMs: number[];
  forwardMs: number[];
  firstLoss: number;
  lastLoss: number;
  baseMb: number;
  peakMb: number;
  logps: number[];
}

function contender(name: string, child: Child): Contender {
  return { name, child, stepMs: [], forwardMs: [], firstLoss: NaN, lastLoss: NaN, baseMb: 0, peakMb: 0, logps: [] };
}

/** Runs `fn` for every contender, in an order that rotates each round (no side always goes first). */
async function inTurn(all: Contender[], round: number, fn: (c: Contender) => Promise<void>): Promise<void> {
  for (let i = 0; i < all.length; i++) await fn(all[(i + round) % all.length] as Contender);
}

function torchChild(python: string, threads: PeerThreads): Child {
  const script = fileURLToPath(new URL('./train_step_torch.py', import.meta.url));
  return startChild(python, [script], peerEnv(threads), `torch (${threads.torch} torch x ${threads.blas} BLAS threads)`);
}

/**
 * Each of the peer's thread settings for a few steps on the case's model; the fastest is the peer.
 * Every setting gets the same warm-up and the same number of timed steps.
 */
async function calibratePeer(c: BenchCase, python: string, init: InitMessage): Promise<{ best: PeerThreads; tried: Record<string, unknown>[] }> {
  const tried: { threads: PeerThreads; ms: number }[] = [];
  const steps = c.name === '3M' ? 3 : 1;
  for (const threads of peerThreadSettings(THREADS)) {
    const child = torchChild(python, threads);
    try {
      await child.request({ ...init, threads: threads.torch });
      await child.request({ cmd: 'steps', n: 1 });
      const ms = median((await child.request({ cmd: 'steps', n: steps })).ms ?? []);
      tried.push({ threads, ms });
      log(`${c.name}: peer with ${threads.torch} torch x ${threads.blas} BLAS threads: ${Math.round(ms)} ms per step`);
    } finally {
      await child.close();
    }
  }
  const best = tried.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { best: best.threads, tried: tried.map((t) => ({ torch_threads: t.threads.torch, blas_threads: t.threads.blas, ms: round1(t.ms) })) };
}

async function runCase(c: BenchCase, python: string, dir: string, sweepSessions: boolean, peak: GemmRate): Promise<Record<string, unknown>> {
  const weightsPath = join(dir, `${c.name}.safetensors`);
  await writeFile(weightsPath, serializeWeights(c.config, initializeWeights(c.config, { seed: 0 })));
  const init: InitMessage = {
    cmd: 'init',
    config: llamaConfigToJson(c.config),
    weights: weightsPath,
    batch: trainBatch(c),
    lr: LR,
    weight_decay: WEIGHT_DECAY,
    max_grad_norm: MAX_GRAD_NORM,
    threads: THREADS,
  };
  log(`${c.name}: ${(countParameters(c.config) / 1e6).toFixed(1)}M params; GEMM rates at the case's shapes, then the peer's thread settings`);
  const shapeRates: GemmRate[] = [];
  for (const [m, k, n] of dominantShapes(c)) shapeRates.push(await gemmRate(m, k, n, THREADS));
  const calibration = await calibratePeer(c, python, init);
  const oursScript = fileURLToPath(new URL('./train-step/ours-child.ts', import.meta.url));
  const node = (options: SessionOptions, label: string): Child =>
    startChild(process.execPath, ['--disable-warning=ExperimentalWarning', oursScript, JSON.stringify(options)], process.env, label);
  const all = [
    contender('ours', node({}, 'ours')),
    contender('torch', torchChild(python, calibration.best)),
    // Not at 125M: four live copies of a 135M model and its optimizer state would not fit beside
    // each other on a 24 GB machine.
    ...(sweepSessions && c.name !== '125M' ? SESSION_VARIANTS.map((v) => contender(v.name, node(v.options, v.name))) : []),
  ];
  const [ours, torch] = all as [Contender, Contender];
  const variants = all.slice(2);
  try {
    await inTurn(all, 0, async (x) => {
      x.baseMb = (await x.child.request(x === torch ? { ...init, threads: calibration.best.torch } : init)).rss_mb;
    });
    log(`${c.name}: warm-up ${c.warmup} steps each`);
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
  const flops = llamaFlops(c.config, c.batchSize, c.seqLen);
  const gflops = (x: Contender): number => Math.round(flops.step / (median(x.stepMs) / 1000) / 1e9);
  // The peak is the best GEMM rate this run measured (1024^3 or the case's own shapes): on this
  // machine MLAS runs the step's shapes faster than the square one some days.
  const best = Math.max(peak.gflops, ...shapeRates.map((r) => r.gflops));
  const share = (x: Contender): number => round1(gflops(x) / best, 3);
  const shareOfSquare = (x: Contender): number => round1(gflops(x) / peak.gflops, 3);
  const target = TARGETS[c.name] ?? { speedup_min: 1, memory_ratio_max: 1.5 };
  const lossOk = all.every((x) => Math.abs(x.firstLoss - torch.firstLoss) <= LOSS_TOLERANCE);
  return {
    case: c.name,
    speedup: round1(speedup, 3),
    ours_ms: round1(median(ours.stepMs)),
    torch_ms: round1(median(torch.stepMs)),
    // Fastest steps: less sensitive than medians to other processes on a shared machine.
    best_ms: Object.fromEntries(all.map((x) => [x.name, round1(Math.min(...x.stepMs))])),
    peer: { threads: { torch: calibration.best.torch, blas: calibration.best.blas }, calibration: calibration.tried },
    flops: {
      note: 'model FLOPs per step: 6 x matmul weights x tokens + attention QK^T and PV over the full T x T, forward + backward (bench/lib/flops.ts)',
      model_gflop_per_step: round1(flops.step / 1e9, 2),
      ours_gflops: gflops(ours),
      torch_gflops: gflops(torch),
      gemm_peak_gflops: best,
      share_of_peak: { ours: share(ours), torch: share(torch) },
      gemm_1024_cubed_gflops: peak.gflops,
      share_of_1024_cubed: { ours: shareOfSquare(ours), torch: shareOfSquare(torch) },
      gemm_at_step_shapes: shapeRates.map((r) => ({ shape: `${r.m}x${r.k}x${r.n}`, gflops: r.gflops })),
      floor_ms_at_peak: round1((flops.step / (best * 1e9)) * 1000),
    },
    ours_peak_mb: Math.round(ours.peakMb),
    torch_peak_mb: Math.round(torch.peakMb),
    memory_ratio: round1(memoryRatio, 3),
    forward_tokens_per_s: { ours: tokensPerS(ours), torch: tokensPerS(torch), speedup: round1(median(torch.forwardMs) / median(ours.forwardMs), 3) },
    loss_ours: ours.firstLoss,
    loss_torch: torch.firstLoss,
    loss_abs_diff: Math.abs(ours.firstLoss - torch.firstLoss),
    loss_check: lossOk ? 'ok' : 'MISMATCH',
    loss_after_steps: { steps: c.warmup + c.rounds * c.stepsPerRound, ...Object.fromEntries(all.map((x) => [x.name, x.lastLoss])) },
    forward_logps_max_rel_diff: relDiff(ours),
    ...(variants.length
      ? {
          session_settings: Object.fromEntries([
            ['stepper default (arena off, memory pattern off)', { ms: round1(median(ours.stepMs)), peak_mb: Math.round(ours.peakMb) }],
            ...variants.map((v) => [v.name, { options: SESSION_VARIANTS.find((s) => s.name === v.name)?.options, ms: round1(median(v.stepMs)), peak_mb: Math.round(v.peakMb) }]),
          ]),
        }
      : {}),
    base_rss_mb: Object.fromEntries(all.map((x) => [x.name, Math.round(x.baseMb)])),
    params: countParameters(c.config),
    batch_size: c.batchSize,
    seq_len: c.seqLen,
    steps_timed: ours.stepMs.length,
    forwards_timed: ours.forwardMs.length,
    targets: {
      ...target,
      met:
        speedup >= target.speedup_min &&
        memoryRatio <= target.memory_ratio_max &&
        (target.share_of_peak_min === undefined || share(ours) >= target.share_of_peak_min),
    },
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
  let blas: TorchBlas;
  try {
    blas = requireFastBlas(python, 'train-step');
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const only = argv.find((a) => a.startsWith('--case='))?.slice('--case='.length);
  const all = cases(argv.includes('--quick'));
  const selected = only === undefined ? all : all.filter((c) => c.name === only);
  if (selected.length === 0) {
    process.stderr.write(`bench train-step: unknown --case=${only}. Valid cases: ${all.map((c) => c.name).join(', ')}\n`);
    return 2;
  }
  const loadBefore = loadavg().map((x) => round1(x, 2));
  const started = performance.now();
  log(`peer: torch ${blas.torch} on ${blas.kind} (${blas.libraries.join(', ')}); measuring the GEMM peak (1024^3, ${THREADS} threads)`);
  const peak = await gemmRate(1024, 1024, 1024, THREADS);
  const dir = await mkdtemp(join(tmpdir(), 'sppo-bench-train-step-'));
  const rows: Record<string, unknown>[] = [];
  try {
    for (const c of selected) rows.push(await runCase(c, python, dir, argv.includes('--sessions'), peak));
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
      gemm_peak: { shape: '1024x1024x1024', gflops: peak.gflops, threads: THREADS, how: 'one ORT Gemm (transB), median of repeated runs, in this run' },
      load_average_before: loadBefore,
      load_average_after: loadavg().map((x) => round1(x, 2)),
      duration_s: Math.round((performance.now() - started) / 1000),
      node: process.version,
      torch: blas.torch,
      peer: `PyTorch ${blas.torch} eager CPU on ${blas.kind} (${blas.libraries.filter((l) => /blas/i.test(l)).join(', ')}), the fastest of its thread settings per case (row.peer)`,
      ours: `createTrainStepper (worker thread), ORT intra-op threads ${THREADS}, default session options`,
      step: `SFT loss, backward, clip_grad_norm ${MAX_GRAD_NORM}, AdamW lr ${LR} wd ${WEIGHT_DECAY}, float32`,
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
