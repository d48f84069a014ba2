// Benchmark: comparisons/s of our judge (every ordered pair of every prompt in one call, sorted by
// length into batches, spread over one session replica per core, each a worker thread with one
// intra-op thread) against the official setting: one pair per forward (scripts/rank.py calls
// Blender.rank(..., batch_size=1); SPPO-REFERENCE 2.2 step 6, 3.4), on the same mini-PairRM (same
// weights, same token ids), same run. Two batch-size-1 peers:
// - `official`: the official stack, PyTorch eager on CPU (the better of two thread settings)
//   (bench/judge_torch.py), one pair per forward as CrossCompareReranker._full_predict runs it;
//   skipped, with a message, where no python3 with torch is found;
// - `ours_batch_1`: our own judge at batchSize 1 on one session with ORT's default threads (the
//   same pairwise.onnx bytes), which isolates what batching and replicas add.
// speedup = official time / our time; speedup_vs_our_batch_1 = ours_batch_1 time / our time.
// Every peer's logits are checked against ours. Not a test: run `./sppo bench judge`
// (`--execution-provider=cuda` runs our judges there and the PyTorch peer on CUDA, if it has it).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildPairwiseModel,
  compareAllPairs,
  createOnnxPairwiseJudge,
  createPairRMInputBuilder,
  createRng,
  createTokenizer,
  defaultJudgeReplicas,
  initPairwiseWeights,
  JUDGE_SPECIAL_TOKENS,
  miniPairRMConfig,
  resolvePairRMTokens,
  serializePairwiseWeights,
  syntheticCorpus,
  trainBpeTokenizer,
  type PairwiseExample,
  type PairwiseJudge,
  type PromptResponses,
} from '@sppo/model';
import { findTorchPython, peerEnv, peerThreadSettings, requireFastBlas, type PeerThreads, type TorchBlas } from './lib/torch-python.ts';

const PROMPTS = 16;
const K = 5;
const REPEATS = 3;

/**
 * 'short': one-sentence prompts and responses (~40-60 tokens per pair, the length of the demo
 * policy's answers); 'long': multi-sentence documents (~150-300 tokens per pair).
 */
function workload(kind: 'short' | 'long'): PromptResponses[] {
  const rng = createRng(7);
  const docs = syntheticCorpus({ documents: 400, seed: 3 });
  const sentences = docs.flatMap((d) => d.split(/(?<=[.?!])\s+/));
  const pool = kind === 'short' ? sentences : docs;
  const pick = (): string => pool[Math.floor(rng.uniform() * pool.length)] as string;
  return Array.from({ length: PROMPTS }, () => ({ prompt: pick(), responses: Array.from({ length: K }, () => pick() + (kind === 'long' && rng.uniform() < 0.5 ? ` ${pick()}` : '')) }));
}

async function timeIt(judge: PairwiseJudge, items: PromptResponses[]): Promise<number> {
  await compareAllPairs(judge, items.slice(0, 2)); // warm-up (session allocation)
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    await compareAllPairs(judge, items);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(REPEATS / 2)] as number;
}

/** The comparisons compareAllPairs sends, in its order (recorded by a judge that answers 0). */
async function examplesOf(items: PromptResponses[]): Promise<PairwiseExample[]> {
  const seen: PairwiseExample[] = [];
  await compareAllPairs({ name: 'recorder', compare: async (batch) => (seen.push(...batch), batch.map(() => 0)) }, items);
  return seen;
}

interface TorchResult {
  ms: number[];
  logits: number[];
  torch: string;
}

/** Where our judge runs: 'cpu' (default), 'cuda' or 'webgpu' (`--execution-provider=NAME`). */
const executionProvider = process.argv.find((a) => a.startsWith('--execution-provider='))?.slice('--execution-provider='.length) ?? 'cpu';
/** The PyTorch peer runs on the same kind of device: the CPU, or CUDA for 'cuda'. */
const torchDevice = executionProvider === 'cpu' ? 'cpu' : executionProvider === 'cuda' ? 'cuda' : undefined;
/** judge_torch.py's exit status when the device it was asked for is not there. */
const NO_DEVICE_EXIT = 3;
const python = findTorchPython();
if (python === undefined) {
  process.stderr.write(
    'bench judge: no python3 with PyTorch found (tried $SPPO_BENCH_PYTHON, python3, /usr/bin/python3), so the official-stack peer is skipped.\n' +
      'Install it with: apt-get install python3-torch (or set SPPO_BENCH_PYTHON to a python with torch).\n',
  );
}
// The peer as its users run it: never on the reference BLAS (about 4x slower than OpenBLAS).
let blas: TorchBlas | undefined;
if (python !== undefined) {
  try {
    blas = requireFastBlas(python, 'judge');
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
}
const torchScript = fileURLToPath(new URL('./judge_torch.py', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'sppo-bench-judge-'));
const t = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 400, seed: 3 }), vocabSize: 1024, extraSpecialTokens: JUDGE_SPECIAL_TOKENS });
const tokenizer = createTokenizer(t.tokenizerJson, t.tokenizerConfig);
const tokens = resolvePairRMTokens(tokenizer);
const ids = tokens.ids;
const rows = [];
let torchVersion: string | undefined;
try {
  for (const kind of ['short', 'long'] as const) {
    const items = workload(kind);
    const examples = await examplesOf(items);
    const pairRows = createPairRMInputBuilder({ tokenizer, tokens }).buildBatch(examples).map((x) => x.inputIds);
    const comparisons = examples.length;
    const meanTokens = pairRows.reduce((n, r) => n + r.length, 0) / pairRows.length;
    for (const [hidden, layers, heads] of [[32, 2, 4], [128, 4, 4]] as const) {
      const config = miniPairRMConfig({ vocabSize: tokenizer.vocabSize, tokenIds: ids, hiddenSize: hidden, intermediateSize: 2 * hidden, numHiddenLayers: layers, numAttentionHeads: heads, initializerRange: 0.3 });
      const weights = initPairwiseWeights(config, { seed: 1 });
      const model = buildPairwiseModel(config, weights);
      // Batch size 1 on our engine: one session, ORT's default intra-op threads (the machine's cores).
      const batch1 = await createOnnxPairwiseJudge({ model, tokenizer }, { batchSize: 1, replicas: 1, thread: 'main', executionProvider });
      // Ours: the defaults the judge service and `./sppo judge` get (loadPairwiseJudge passes the
      // folder's hidden size, which sizes CPU batches).
      const ours = await createOnnxPairwiseJudge({ model, tokenizer }, { hiddenSize: config.hidden_size, executionProvider });
      const batch1Ms = await timeIt(batch1, items);
      const ourMs = await timeIt(ours, items);
      const ourLogits = await ours.compare(examples);
      const batch1Logits = await batch1.compare(examples);
      await batch1.close?.();
      await ours.close?.();
      const maxDiff = (xs: readonly number[]): number => Math.max(...xs.map((x, i) => Math.abs(x - (ourLogits[i] as number))));
      let official: { ms: number; maxDiff: number; threads: PeerThreads } | undefined;
      const tried: { torch_threads: number; blas_threads: number; ms: number }[] = [];
      let officialSkipped = python === undefined ? 'skipped: no python3 with torch' : undefined;
      if (python !== undefined && torchDevice === undefined) officialSkipped = `skipped: no PyTorch peer on ${executionProvider}`;
      if (python !== undefined && torchDevice !== undefined) {
        const weightsPath = join(work, `h${hidden}-l${layers}.safetensors`);
        await writeFile(weightsPath, serializePairwiseWeights(config, weights));
        // On the CPU the peer gets the fastest of its thread settings (torch threads x BLAS
        // threads, lib/torch-python.ts); on CUDA one setting.
        const settings = torchDevice === 'cpu' ? peerThreadSettings(availableParallelism()) : [{ torch: availableParallelism(), blas: 1 }];
        for (const setting of settings) {
          const run = spawnSync(python, [torchScript], {
            input: JSON.stringify({ config, weights: weightsPath, rows: pairRows, threads: setting.torch, repeats: REPEATS, device: torchDevice }),
            encoding: 'utf8',
            env: peerEnv(setting),
            maxBuffer: 1 << 26,
          });
          if (run.status === NO_DEVICE_EXIT) {
            officialSkipped = `skipped: ${run.stderr.trim()}`;
            break;
          }
          if (run.status !== 0) throw new Error(`bench judge: ${torchScript} failed:\n${run.stderr}`);
          const result = JSON.parse(run.stdout) as TorchResult;
          torchVersion = result.torch;
          const ms = [...result.ms].sort((a, b) => a - b)[Math.floor(REPEATS / 2)] as number;
          tried.push({ torch_threads: setting.torch, blas_threads: setting.blas, ms: +ms.toFixed(1) });
          if (official === undefined || ms < official.ms) official = { ms, maxDiff: maxDiff(result.logits), threads: setting };
        }
      }
      const perS = (ms: number): number => +(comparisons / (ms / 1000)).toFixed(1);
      rows.push({
        case: `${kind} texts, mini-pairrm h${hidden} l${layers}, ${PROMPTS} prompts x K=${K}`,
        comparisons,
        mean_tokens_per_pair: Math.round(meanTokens),
        parameters: [...weights.values()].reduce((n, w) => n + w.length, 0),
        ours: executionProvider === 'cpu' ? `batches sorted by length, ${defaultJudgeReplicas()} replicas x 1 intra-op thread (${availableParallelism()} cores)` : `batches sorted by length, one session on ${executionProvider}`,
        our_comparisons_per_s: perS(ourMs),
        our_ms: +ourMs.toFixed(1),
        ...(official === undefined
          ? { official: officialSkipped }
          : {
              official:
                torchDevice === 'cpu'
                  ? `PyTorch ${torchVersion} eager on ${blas?.kind ?? '?'}, one pair per forward (batch_size=1), ${official.threads.torch} torch x ${official.threads.blas} BLAS threads (the fastest of ${tried.length} settings)`
                  : `PyTorch ${torchVersion} eager on ${torchDevice}, float32, one pair per forward (batch_size=1)`,
              official_comparisons_per_s: perS(official.ms),
              official_ms: +official.ms.toFixed(1),
              official_max_abs_logit_diff: +official.maxDiff.toExponential(2),
              official_thread_settings: tried,
              speedup: +(official.ms / ourMs).toFixed(2),
            }),
        ours_batch_1: 'our judge at batchSize 1: one pair per forward, one session, ORT default threads',
        ours_batch_1_comparisons_per_s: perS(batch1Ms),
        ours_batch_1_ms: +batch1Ms.toFixed(1),
        ours_batch_1_max_abs_logit_diff: +maxDiff(batch1Logits).toExponential(2),
        speedup_vs_our_batch_1: +(batch1Ms / ourMs).toFixed(2),
      });
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
console.log(JSON.stringify({ bench: 'judge', rows, environment: { execution_provider: executionProvider, cpus: availableParallelism(), node: process.version, torch: torchVersion ?? null, torch_blas: blas ? { kind: blas.kind, libraries: blas.libraries } : null } }, null, 2));
