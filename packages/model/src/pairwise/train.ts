/**
 * Trains a mini-PairRM from pairwise preferences with our engine (autodiff buildTrainStep +
 * createTrainStepper). As PairRM is trained (llm_blender ranker.py `compute_loss`, loss type
 * "instructgpt": -log sigmoid(left - right) with the label's sign), the loss is binary cross-entropy
 * on the logit with soft labels,
 *
 *   loss = -[ p log sigmoid(z) + (1 - p) log sigmoid(-z) ],   z = logit(prompt, a, b), p = P(a beats b),
 *
 * and every pair is used in BOTH orders, (a, b, p) and (b, a, 1 - p), so the judge cannot learn a
 * position preference. A held-out split is scored at the end with the position-debiased decision
 * z(a, b) - z(b, a) > 0 (Blender.compare "[A,B]+[B,A]").
 */
import { buildTrainStep, createLrSchedule, createTrainStepper, type StepGraph, type TensorData } from '@sppo/autodiff';
import { createRng } from '../rng.ts';
import { bucketLength } from '../tokenize.ts';
import { createTokenizer, type LoadedTokenizer } from '../tokenizer.ts';
import { JUDGE_SPECIAL_TOKENS, trainBpeTokenizer } from '../tokenizer-train.ts';
import { miniPairRMConfig, type MiniPairRMConfig } from './config.ts';
import { declarePairwiseParams, pairwiseLogits } from './encoder.ts';
import { collatePairwiseInputs, createPairRMInputBuilder, resolvePairRMTokens, type PairwiseInput } from './inputs.ts';
import { createOnnxPairwiseJudge } from './onnx-judge.ts';
import { buildPairwiseModel } from './onnx-model.ts';
import type { PreferencePair } from './pairs.ts';
import type { JudgeTrainArgs } from './train-args.ts';
import { initPairwiseWeights } from './weights.ts';

export interface TrainedJudge {
  config: MiniPairRMConfig;
  weights: Map<string, Float32Array>;
  tokenizer: LoadedTokenizer;
  /** train/* and eval/* numbers, also written to the checkpoint's metrics.json. */
  metrics: Record<string, number>;
  /** Per logged step: step, loss, grad_norm, learning_rate. */
  logHistory: Record<string, number>[];
  evalPairs: PreferencePair[];
}

export interface TrainMiniPairRMOptions {
  pairs: readonly PreferencePair[];
  args: JudgeTrainArgs;
  /** Continue from an existing judge (its tokenizer and config are kept). */
  init?: { config: MiniPairRMConfig; weights: Map<string, Float32Array>; tokenizer: LoadedTokenizer };
  /** One line per logged step (the CLI prints them on stderr). */
  log?: (line: string) => void;
  thread?: 'worker' | 'main';
}

interface Example {
  input: PairwiseInput;
  probability: number;
}

function shuffled<T>(items: readonly T[], rng: { uniform(): number }): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Soft-label BCE on the pairwise logit, weighted per row (filler rows weigh 0). */
function lossBuild(config: MiniPairRMConfig, batchSize: number, seqLen: number) {
  return (g: Parameters<Parameters<typeof buildTrainStep>[0]>[0]) => {
    const params = declarePairwiseParams(g, config);
    const inputIds = g.input('input_ids', [batchSize, seqLen], 'int64');
    const attentionMask = g.input('attention_mask', [batchSize, seqLen], 'int64');
    const labels = g.input('labels', [batchSize]);
    const rowWeights = g.input('row_weights', [batchSize]);
    const z = pairwiseLogits(g, config, params, { inputIds, attentionMask });
    const ll = g.add(g.mul(labels, g.logSigmoid(z)), g.mul(g.sub(1, labels), g.logSigmoid(g.neg(z))));
    return { loss: g.neg(g.reduceSum(g.mul(rowWeights, ll), [0])) };
  };
}

export async function trainMiniPairRM({ pairs, args, init, log = () => undefined, thread = 'worker' }: TrainMiniPairRMOptions): Promise<TrainedJudge> {
  if (pairs.length < 2) throw new Error(`judge-train needs at least 2 preference pairs, got ${pairs.length}`);
  const started = performance.now();
  const rng = createRng(args.seed);
  const order = shuffled(pairs, rng);
  const nEval = args.eval_ratio > 0 ? Math.max(1, Math.round(order.length * args.eval_ratio)) : 0;
  const evalPairs = order.slice(0, nEval);
  const trainPairs = order.slice(nEval);

  const tokenizer =
    init?.tokenizer ??
    (() => {
      const corpus = trainPairs.flatMap((p) => [p.prompt, p.responseA, p.responseB]);
      const t = trainBpeTokenizer({ corpus, vocabSize: args.vocab_size, extraSpecialTokens: JUDGE_SPECIAL_TOKENS, modelMaxLength: args.max_source_tokens + 2 * args.max_candidate_tokens, addPrefixSpace: args.add_prefix_space === 1 });
      return createTokenizer(t.tokenizerJson, t.tokenizerConfig);
    })();
  const tokens = resolvePairRMTokens(tokenizer);
  const config =
    init?.config ??
    miniPairRMConfig({
      vocabSize: tokenizer.vocabSize,
      tokenIds: tokens.ids,
      hiddenSize: args.hidden_size,
      intermediateSize: args.intermediate_size,
      numHiddenLayers: args.num_hidden_layers,
      numAttentionHeads: args.num_attention_heads,
      initializerRange: args.initializer_range,
      maxSourceTokens: args.max_source_tokens,
      maxCandidateTokens: args.max_candidate_tokens,
    });
  const weights = init?.weights ?? initPairwiseWeights(config, { seed: args.seed });
  const builder = createPairRMInputBuilder({ tokenizer, tokens, maxSourceTokens: config.source_maxlength, maxCandidateTokens: config.candidate_maxlength });

  // Both orders of every training pair.
  const examples: Example[] = [];
  for (const p of trainPairs) {
    const [ab, ba] = builder.buildBatch([
      { prompt: p.prompt, candidate1: p.responseA, candidate2: p.responseB },
      { prompt: p.prompt, candidate1: p.responseB, candidate2: p.responseA },
    ]) as [PairwiseInput, PairwiseInput];
    examples.push({ input: ab, probability: p.probability }, { input: ba, probability: 1 - p.probability });
  }
  const B = args.per_device_train_batch_size;
  const stepsPerEpoch = Math.ceil(examples.length / B);
  const totalSteps = args.max_steps > 0 ? args.max_steps : args.num_train_epochs * stepsPerEpoch;
  const schedule = createLrSchedule({ type: args.lr_scheduler_type, lr: args.learning_rate, totalSteps, warmupRatio: args.warmup_ratio });

  const stepper = await createTrainStepper<{ T: number }>({
    buildStep: ({ T }): StepGraph =>
      buildTrainStep(lossBuild(config, B, T), { optimizer: { type: 'adamw', weightDecay: args.weight_decay }, maxGradNorm: args.max_grad_norm }),
    params: Object.fromEntries(weights),
    thread,
  });
  const logHistory: Record<string, number>[] = [];
  let step = 0;
  let lossSum = 0;
  let lossCount = 0;
  try {
    while (step < totalSteps) {
      const epochOrder = shuffled(examples, rng);
      for (let at = 0; at < epochOrder.length && step < totalSteps; at += B) {
        const batch = epochOrder.slice(at, at + B);
        const T = bucketLength(Math.max(...batch.map((e) => e.input.inputIds.length)), { multiple: 16 });
        const collated = collatePairwiseInputs(
          batch.map((e) => e.input),
          { padId: tokens.ids.pad, seqLen: T, batchSize: B },
        );
        const labels = new Float32Array(B);
        const rowWeights = new Float32Array(B);
        batch.forEach((e, i) => {
          labels[i] = e.probability;
          rowWeights[i] = 1 / batch.length;
        });
        const lr = schedule(step);
        const feeds: Record<string, TensorData> = {
          input_ids: { dtype: 'int64', dims: [B, T], data: collated.inputIds },
          attention_mask: { dtype: 'int64', dims: [B, T], data: collated.attentionMask },
          labels: { dtype: 'float32', dims: [B], data: labels },
          row_weights: { dtype: 'float32', dims: [B], data: rowWeights },
        };
        const out = await stepper.step({ T }, feeds, { lr });
        step++;
        lossSum += out['loss'] ?? Number.NaN;
        lossCount++;
        if (step % Math.max(1, args.logging_steps) === 0 || step === totalSteps) {
          const entry = { step, epoch: (step * B) / examples.length, loss: lossSum / lossCount, grad_norm: out['grad_norm'] ?? Number.NaN, learning_rate: lr };
          logHistory.push(entry);
          log(`step ${step}/${totalSteps}: loss ${entry.loss.toFixed(4)}, grad_norm ${entry.grad_norm.toFixed(3)}, lr ${lr.toExponential(2)}`);
          lossSum = 0;
          lossCount = 0;
        }
      }
    }
    const trained = await stepper.getParams();
    for (const [name, data] of Object.entries(trained)) weights.set(name, data instanceof Float32Array ? data : Float32Array.from(data));
  } finally {
    await stepper.close();
  }

  const metrics: Record<string, number> = {
    'train/pairs': trainPairs.length,
    'train/examples': examples.length,
    'train/steps': step,
    'train/loss': logHistory.at(-1)?.['loss'] ?? Number.NaN,
    'train/runtime_s': (performance.now() - started) / 1000,
  };
  const judge = await createOnnxPairwiseJudge({ model: buildPairwiseModel(config, weights), tokenizer, name: 'mini-pairrm' }, { thread: 'main' });
  try {
    Object.assign(metrics, prefixed('train', await evaluatePairs(judge, trainPairs)), prefixed('eval', await evaluatePairs(judge, evalPairs)));
  } finally {
    await judge.close?.();
  }
  delete metrics['train/pairs_scored'];
  log(`eval: accuracy ${fmt(metrics['eval/accuracy'])} on ${evalPairs.length} held-out pairs (train accuracy ${fmt(metrics['train/accuracy'])})`);
  return { config, weights, tokenizer, metrics, logHistory, evalPairs };
}

function fmt(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(3);
}

function prefixed(prefix: string, m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [`${prefix}/${k}`, v]));
}

export interface PairEvaluation extends Record<string, number> {
  /** Position-debiased decision z(a,b) - z(b,a) > 0 agrees with p > 1/2 (ties p = 1/2 skipped). */
  accuracy: number;
  /** Single-order decision z(a,b) > 0 (and z(b,a) < 0) agreement, over both orders. */
  accuracy_single_order: number;
  /** Mean BCE over both orders. */
  loss: number;
  pairs_scored: number;
}

/** Scores pairs in both orders with any judge and compares with their labels. */
export async function evaluatePairs(judge: { compare: (b: { prompt: string; candidate1: string; candidate2: string }[]) => Promise<number[]> }, pairs: readonly PreferencePair[]): Promise<PairEvaluation> {
  if (pairs.length === 0) return { accuracy: Number.NaN, accuracy_single_order: Number.NaN, loss: Number.NaN, pairs_scored: 0 };
  const z = await judge.compare(pairs.flatMap((p) => [
    { prompt: p.prompt, candidate1: p.responseA, candidate2: p.responseB },
    { prompt: p.prompt, candidate1: p.responseB, candidate2: p.responseA },
  ]));
  let correct = 0;
  let decided = 0;
  let single = 0;
  let loss = 0;
  const logSig = (x: number): number => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));
  pairs.forEach((p, i) => {
    const ab = z[2 * i] as number;
    const ba = z[2 * i + 1] as number;
    loss -= p.probability * logSig(ab) + (1 - p.probability) * logSig(-ab);
    loss -= (1 - p.probability) * logSig(ba) + p.probability * logSig(-ba);
    if (p.probability === 0.5) return;
    decided++;
    const aWins = p.probability > 0.5;
    if (ab - ba > 0 === aWins) correct++;
    if (ab > 0 === aWins) single++;
    if (ba < 0 === aWins) single++;
  });
  return { accuracy: correct / Math.max(1, decided), accuracy_single_order: single / Math.max(1, 2 * decided), loss: loss / (2 * pairs.length), pairs_scored: pairs.length };
}
