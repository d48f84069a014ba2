// Benchmark: comparisons/s of our judge (every ordered pair of every prompt in one call, sorted by
// length into batches, spread over one session replica per core, each a worker thread with one
// intra-op thread) against the official setting, one pair per forward on a single session with ORT's
// default threads (scripts/rank.py calls Blender.rank(..., batch_size=1); SPPO-REFERENCE 2.2 step 6,
// 3.4), on the same mini-PairRM model (the same pairwise.onnx bytes) in the same process.
// speedup = batch-size-1 time / our time. Not a test: run `./sppo bench judge`.
import { availableParallelism } from 'node:os';
import { compareAllPairs, createOnnxPairwiseJudge, defaultJudgeReplicas, createRng, createTokenizer, initPairwiseWeights, JUDGE_SPECIAL_TOKENS, miniPairRMConfig, buildPairwiseModel, resolvePairRMTokens, syntheticCorpus, trainBpeTokenizer, type PairwiseJudge, type PromptResponses } from '@sppo/model';

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

const t = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 400, seed: 3 }), vocabSize: 1024, extraSpecialTokens: JUDGE_SPECIAL_TOKENS });
const tokenizer = createTokenizer(t.tokenizerJson, t.tokenizerConfig);
const ids = resolvePairRMTokens(tokenizer).ids;
const rows = [];
for (const kind of ['short', 'long'] as const) {
const items = workload(kind);
const comparisons = items.reduce((n, it) => n + it.responses.length * (it.responses.length - 1), 0);
const meanTokens = items.reduce((n, it) => n + tokenizer.encode(it.prompt).length + (2 * it.responses.reduce((m, r) => m + tokenizer.encode(r).length, 0)) / K + 6, 0) / items.length;
for (const [hidden, layers, heads] of [[32, 2, 4], [128, 4, 4]] as const) {
  const config = miniPairRMConfig({ vocabSize: tokenizer.vocabSize, tokenIds: ids, hiddenSize: hidden, intermediateSize: 2 * hidden, numHiddenLayers: layers, numAttentionHeads: heads, initializerRange: 0.3 });
  const model = buildPairwiseModel(config, initPairwiseWeights(config, { seed: 1 }));
  // The official setting: one session, ORT's default intra-op threads (the machine's cores).
  const peer = await createOnnxPairwiseJudge({ model, tokenizer }, { batchSize: 1, replicas: 1, thread: 'main' });
  // Ours: the defaults the judge service and `./sppo judge` get.
  const ours = await createOnnxPairwiseJudge({ model, tokenizer });
  const peerMs = await timeIt(peer, items);
  const ourMs = await timeIt(ours, items);
  // Same logits either way (float32 round-off only).
  const [a, b] = [await peer.compare([{ prompt: 'p', candidate1: 'x y', candidate2: 'z' }]), await ours.compare([{ prompt: 'p', candidate1: 'x y', candidate2: 'z' }])];
  await peer.close?.();
  await ours.close?.();
  rows.push({
    case: `${kind} texts, mini-pairrm h${hidden} l${layers}, ${PROMPTS} prompts x K=${K}`,
    comparisons,
    mean_tokens_per_pair: Math.round(meanTokens),
    parameters: [...initPairwiseWeights(config).values()].reduce((n, w) => n + w.length, 0),
    peer: 'official setting: one pair per forward (batch_size=1), one session, default threads',
    ours: `batches sorted by length, ${defaultJudgeReplicas()} replicas x 1 intra-op thread (${availableParallelism()} cores)`,
    peer_comparisons_per_s: +(comparisons / (peerMs / 1000)).toFixed(1),
    our_comparisons_per_s: +(comparisons / (ourMs / 1000)).toFixed(1),
    peer_ms: +peerMs.toFixed(1),
    our_ms: +ourMs.toFixed(1),
    speedup: +(peerMs / ourMs).toFixed(2),
    max_abs_logit_diff: Math.abs((a[0] as number) - (b[0] as number)),
  });
}
}
console.log(JSON.stringify({ bench: 'judge', rows }, null, 2));
