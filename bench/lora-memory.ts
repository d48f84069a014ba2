// `./sppo bench lora-memory`: what LoRA on a frozen base saves (issue 16), on a Qwen2.5-0.5B-shaped
// random model (hidden 896, 24 layers, 14 heads / 2 kv heads, intermediate 4864, vocab 151936, tied
// embeddings; the llama model type), one SPPO preference step on the same batch (1 pair x 64 tokens,
// AdamW, clipping, 2 threads). Cases, each alone in a child process (lora-memory/child.ts):
//   full-f32   full fine-tuning, float32 (the peer)
//   lora-f32   LoRA r 16, alpha 32, all-linear, float32 base (second shape bucket: the base held once?)
//   lora-bf16  the same on a bf16 base held as bits (autodiff gemmBf16: decoded where used)
//   speed-bf16-vs-f32  LoRA steps on both bases alternating in one process (the bf16 speed cost)
//   merge-*    how much of a trained adapter's log-ratio change survives a merge into a bf16 base
// Figures per step case: median step time, peak RSS of the first step (session creation) and of the
// later steps, RSS at rest, bytes bound/written per run and crossing the thread boundary.
// `speedup` = the peer's step time over the case's; `memory_ratio` = the case's step peak over the
// peer's. Prints one JSON object on stdout; progress on stderr.
// Options: --case=NAME[,NAME] (default all), --quick (fewer steps).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GEMMA2_9B, LLAMA3_8B, predictPeak, QWEN25_05B, totalParams, type StepSetup } from './lora-memory/model.ts';
import type { ChildCase, ChildResult } from './lora-memory/protocol.ts';

const THREADS = 2;
const here = fileURLToPath(new URL('.', import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.find((a) => a.startsWith('--case='))?.slice('--case='.length).split(',');
const steps = quick ? 1 : 3;

const CASES: (ChildCase & { needGiB: number })[] = [
  { kind: 'step', name: 'full-f32', mode: 'full', base: 'float32', buckets: [64], steps, threads: THREADS, needGiB: 12 },
  { kind: 'step', name: 'lora-f32', mode: 'lora', base: 'float32', buckets: [64, 32], steps, threads: THREADS, needGiB: 5 },
  { kind: 'step', name: 'lora-bf16', mode: 'lora', base: 'bfloat16', buckets: [64, 32], steps, threads: THREADS, needGiB: 5 },
  // The bf16 base's speed cost with both bases in one process, steps alternating.
  { kind: 'speed-ab', name: 'speed-bf16-vs-f32', steps: quick ? 2 : 6, threads: THREADS, needGiB: 6 },
  // SPPO's official learning rate (SPPO-REFERENCE 2.6) and a learning rate LoRA is usually run at.
  { kind: 'merge', name: 'merge-lr5e-7', lr: 5e-7, steps: quick ? 2 : 4, threads: THREADS, needGiB: 6 },
  { kind: 'merge', name: 'merge-lr1e-4', lr: 1e-4, steps: quick ? 2 : 4, threads: THREADS, needGiB: 6 },
];

function availableGiB(): number {
  const kb = Number(/MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  return kb / 2 ** 20;
}

const rows: ChildResult[] = [];
for (const c of CASES.filter((x) => only === undefined || only.includes(x.name))) {
  const free = availableGiB();
  if (free < c.needGiB) {
    process.stderr.write(`lora-memory: ${c.name} skipped: needs ~${c.needGiB} GiB, ${free.toFixed(1)} GiB available\n`);
    rows.push({ case: c.name, skipped: `needs ~${c.needGiB} GiB, ${free.toFixed(1)} GiB available` });
    continue;
  }
  process.stderr.write(`lora-memory: ${c.name} ...\n`);
  const { needGiB: _, ...childCase } = c;
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--expose-gc', join(here, 'lora-memory', 'child.ts'), JSON.stringify(childCase)], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    rows.push({ case: c.name, error: `child exited ${r.status ?? r.signal}` });
    continue;
  }
  const row = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
  process.stderr.write(`lora-memory: ${JSON.stringify(row)}\n`);
  rows.push(row);
}

// The memory model (docs/MEMORY.md) beside each measured peak: same shape, batch and setting. The
// weights are what the process holds before the first step (RSS then, less the model's weights, is
// the runtime's own baseline); the step's transient part (peak - that RSS) is checked against the
// model's gradients + optimizer + adapter + activations + logits, and their ratio per mode
// (`transient_factor`) calibrates the 7-9B predictions below.
const factors: Partial<Record<'full' | 'lora', number[]>> = {};
for (const r of rows) {
  const c = CASES.find((x) => x.name === r.case);
  if (c?.kind !== 'step' || typeof r.peak_step_mb !== 'number') continue;
  const p = predictPeak(QWEN25_05B, { mode: c.mode, base: c.base, sequences: 2, seqLen: c.buckets[0]!, loraR: 16 });
  const MiB = 2 ** 20;
  r.predicted_peak_mb = Math.round(p.total / MiB);
  r.predicted_over_measured = Number((p.total / MiB / r.peak_step_mb).toFixed(3));
  r.runtime_baseline_mb = Math.round((r.rest_before_first_step_mb as number) - p.weights / MiB);
  const transient = r.peak_step_mb - (r.rest_before_first_step_mb as number);
  r.transient_factor = Number((transient / ((p.total - p.weights) / MiB)).toFixed(3));
  (factors[c.mode] ??= []).push(r.transient_factor as number);
}
const factorOf = (mode: 'full' | 'lora'): number => {
  const f = factors[mode];
  return f?.length ? f.reduce((a, b) => a + b, 0) / f.length : 1;
};

// The same model for the paper's 7-9B sizes on one 80 GB GPU: max_length 1024 (SPPO-REFERENCE
// 2.3), one pair (2 sequences) per micro-batch, and the official 8 pairs per device.
const GiB = 2 ** 30;
const predictions = [LLAMA3_8B, GEMMA2_9B].flatMap((shape) =>
  (['full', 'lora'] as const).flatMap((mode) =>
    (mode === 'full' ? (['float32'] as const) : (['float32', 'bfloat16'] as const)).flatMap((base) =>
      [1, 8].map((pairs) => {
        const setup: StepSetup = { mode, base, sequences: 2 * pairs, seqLen: 1024, loraR: 16 };
        const p = predictPeak(shape, setup);
        const gib = (x: number): number => Number((x / GiB).toFixed(1));
        // Calibrated: the transient part scaled by the factor measured for this mode at 0.5B.
        const calibrated = p.weights + factorOf(mode) * (p.total - p.weights);
        return {
          model: shape.name,
          params_b: Number((totalParams(shape) / 1e9).toFixed(2)),
          mode,
          base,
          pairs,
          seq_len: 1024,
          weights_gib: gib(p.weights),
          grads_and_optimizer_gib: gib(p.gradients + p.optimizer + p.adapter),
          activations_gib: gib(p.activations + p.logits),
          floor_gib: gib(p.total),
          transient_factor: Number(factorOf(mode).toFixed(2)),
          calibrated_gib: gib(calibrated),
          fits_80gb: calibrated < 80e9,
        };
      }),
    ),
  ),
);

const peer = rows.find((r) => r.case === 'full-f32' && typeof r.step_ms === 'number');
for (const r of rows) {
  if (peer && typeof r.step_ms === 'number') {
    r.speedup = Number(((peer.step_ms as number) / r.step_ms).toFixed(2));
    r.memory_ratio = Number(((r.peak_step_mb as number) / (peer.peak_step_mb as number)).toFixed(3));
  }
}
process.stdout.write(`${JSON.stringify({ bench: 'lora-memory', rows, predictions, environment: { threads: THREADS, cpus: cpus().length, loadavg: loadavg().map((x) => Number(x.toFixed(2))) } }, null, 2)}\n`);
