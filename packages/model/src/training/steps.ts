/**
 * The fused train-step graph of one shape bucket, for each kind of training data, built from
 * packages/model's graphs (buildSftTrainStep, buildPreferenceTrainStep and the per-response SPPO
 * loss) with the optimizer and clipping of the training args.
 */
import { buildGradientStep, buildTrainStep, type GraphBuilder, type OptimizerConfig, type StepGraph, type Tensor } from '@sppo/autodiff';
import type { TrainingArgs } from '@sppo/core';
import type { LossGraph } from '../graphs/losses.ts';
import { declareTokenBatch, sequenceLogps } from '../graphs/sequence-logps.ts';
import { bucketParams, bucketTrainable, buildPreferenceTrainStep, buildSftTrainStep, preferenceLossBuild, sftLossBuild, type GraphBucketOptions, type LossBuild } from '../graphs/train-steps.ts';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { bf16BaseNames } from '../lora/graph.ts';
import type { Bucket } from './batches.ts';
import type { TrainingData } from './examples.ts';

export type StepArgs = Pick<
  TrainingArgs,
  | 'loss_type'
  | 'beta'
  | 'label_smoothing'
  | 'optim'
  | 'weight_decay'
  | 'adam_beta1'
  | 'adam_beta2'
  | 'adam_epsilon'
  | 'rmsprop_alpha'
  | 'rmsprop_epsilon'
  | 'max_grad_norm'
>;

/** torch.optim.AdamW / RMSprop settings from HF-named training args (SPPO-REFERENCE 2.6). */
export function optimizerFromArgs(args: StepArgs): OptimizerConfig {
  if (args.optim === 'adamw') {
    return { type: 'adamw', beta1: args.adam_beta1, beta2: args.adam_beta2, eps: args.adam_epsilon, weightDecay: args.weight_decay };
  }
  if (args.optim === 'rmsprop') return { type: 'rmsprop', alpha: args.rmsprop_alpha, eps: args.rmsprop_epsilon, weightDecay: args.weight_decay };
  throw new Error(`Unknown optim ${JSON.stringify(args.optim)}. Should be one of: rmsprop, adamw`);
}

const maskedMean = (g: GraphBuilder, x: Tensor, mask: Tensor): Tensor => g.div(g.reduceSum(g.mul(x, mask), [0]), g.maximum(g.reduceSum(mask, [0]), 1));

/**
 * Eq. (4.7) per response (selection 'all'): the loss of graphs' singleResponseSppoLoss,
 * mean over rows of (log pi(y|x) - log pi_t(y|x) - eta (P-hat - 1/2))^2, with its metrics
 * (`rewards/mean`, `rewards/positive`, `logps/mean`) plus TRL-named ones so every log entry has the
 * fields of the pair losses: rows with P-hat > 1/2 count as "chosen" (their target log-ratio is
 * positive), rows with P-hat < 1/2 as "rejected"; rewards/accuracies is the fraction of non-tied
 * rows whose reward beta * log-ratio has the sign of P-hat - 1/2. Written out here (rather than
 * wrapping singleResponseSppoLoss) so the per-row log-probs come from the one forward pass; the
 * tests check it against buildSingleResponseSppoTrainStep.
 */
export function responseSppoLossBuild({ config, batchSize, sequenceLength, beta, lora }: { config: LlamaGraphConfig; batchSize: number; sequenceLength: number; beta: number; lora?: GraphBucketOptions['lora'] }): LossBuild {
  if (!(beta > 0)) throw new Error(`beta must be > 0 (SPPO uses 0.001 = 1/eta), got ${beta}`);
  return (g): LossGraph => {
    const params = bucketParams(g, { config, batchSize, sequenceLength, ...(lora ? { lora } : {}) });
    const batch = declareTokenBatch(g, batchSize, sequenceLength);
    const referenceLogps = g.input('reference_logps', [batchSize], g.floatType);
    const winRate = g.input('win_rate', [batchSize], g.floatType);
    const logps = sequenceLogps(g, config, params, batch).logps;
    const ratio = g.sub(logps, referenceLogps);
    const err = g.sub(ratio, g.mul(g.sub(winRate, 0.5), 1 / beta));
    const reward = g.stopGradient(g.mul(ratio, beta));
    const rowLogps = g.stopGradient(logps);
    const mean = (t: Tensor): Tensor => g.reduceMean(t, [0]);
    const chosen = g.cast(g.greater(winRate, 0.5), g.floatType);
    const rejected = g.cast(g.less(winRate, 0.5), g.floatType);
    const correct = g.add(g.mul(chosen, g.cast(g.greater(reward, 0), g.floatType)), g.mul(rejected, g.cast(g.less(reward, 0), g.floatType)));
    const rewardsChosen = maskedMean(g, reward, chosen);
    const rewardsRejected = maskedMean(g, reward, rejected);
    return {
      loss: mean(g.mul(err, err)),
      metrics: {
        'rewards/mean': mean(reward),
        'rewards/positive': mean(g.cast(g.greater(reward, 0), g.floatType)),
        'logps/mean': mean(rowLogps),
        'rewards/chosen': rewardsChosen,
        'rewards/rejected': rewardsRejected,
        'rewards/accuracies': maskedMean(g, correct, g.add(chosen, rejected)),
        'rewards/margins': g.sub(rewardsChosen, rewardsRejected),
        'logps/chosen': maskedMean(g, rowLogps, chosen),
        'logps/rejected': maskedMean(g, rowLogps, rejected),
      },
    };
  };
}

/** A bf16 LoRA base's bit tensors: held by the stepper like frozen params; opset 26 for BitCast (the fast decode). */
const heldOf = (o: GraphBucketOptions): { held?: string[]; opset?: number } => (o.lora?.baseDtype === 'bfloat16' ? { held: bf16BaseNames(o.config), opset: 26 } : {});

export interface StepGraphOptions {
  config: LlamaGraphConfig;
  args: StepArgs;
  floatType?: 'float32' | 'float64';
  gatherGradient?: 'scatter' | 'onehot';
  /** LoRA (use_peft): only the adapter tensors are trained, the base stays frozen. */
  lora?: GraphBucketOptions['lora'];
}

function checkLossForKind(kind: TrainingData['kind'], args: StepArgs): void {
  if (kind === 'response' && args.loss_type !== 'sppo') {
    throw new Error(
      `loss_type '${args.loss_type}' needs (chosen, rejected) pairs, but the triplets are per-response rows (selection 'all'); ` +
        "use loss_type 'sppo' (eq. 4.7 per response) or judge with selection 'extremes'",
    );
  }
}

/**
 * The gradients-only graph of one micro-batch bucket (gradient accumulation): the same loss as
 * buildStepGraph, its gradients added to the held accumulators (autodiff buildGradientStep).
 */
export function buildGradientGraph(kind: TrainingData['kind'], bucket: Bucket, { config, args, floatType = 'float32', gatherGradient = 'scatter', lora }: StepGraphOptions): StepGraph {
  checkLossForKind(kind, args);
  const o = { config, batchSize: bucket.rows, sequenceLength: bucket.seqLen, ...(lora ? { lora } : {}) };
  const trainable = bucketTrainable(o);
  const build: LossBuild =
    kind === 'sft'
      ? sftLossBuild(o)
      : kind === 'pair'
        ? preferenceLossBuild({ ...o, lossType: args.loss_type, beta: args.beta, labelSmoothing: args.label_smoothing })
        : responseSppoLossBuild({ ...o, beta: args.beta });
  return buildGradientStep(build, { name: `llama_${kind}_gradients`, floatType, gatherGradient, accumulate: true, ...(trainable ? { params: trainable } : {}), ...heldOf(o) });
}

/** The fused step (forward, gradients, clipping, optimizer) for one bucket of this data kind. */
export function buildStepGraph(kind: TrainingData['kind'], bucket: Bucket, { config, args, floatType = 'float32', gatherGradient = 'scatter', lora }: StepGraphOptions): StepGraph {
  const common = {
    config,
    ...(lora ? { lora } : {}),
    batchSize: bucket.rows,
    sequenceLength: bucket.seqLen,
    optimizer: optimizerFromArgs(args),
    floatType,
    gatherGradient,
    ...(args.max_grad_norm > 0 ? { maxGradNorm: args.max_grad_norm } : {}),
  };
  if (kind === 'sft') return buildSftTrainStep(common);
  if (kind === 'pair') return buildPreferenceTrainStep({ ...common, lossType: args.loss_type, beta: args.beta, labelSmoothing: args.label_smoothing });
  checkLossForKind(kind, args);
  const trainable = bucketTrainable(common);
  return buildTrainStep(responseSppoLossBuild({ config, batchSize: bucket.rows, sequenceLength: bucket.seqLen, beta: args.beta, ...(lora ? { lora } : {}) }), {
    name: 'llama_sppo_response_step',
    ...(trainable ? { params: trainable } : {}),
    ...heldOf(common),
    floatType,
    gatherGradient,
    optimizer: common.optimizer,
    ...(common.maxGradNorm === undefined ? {} : { maxGradNorm: common.maxGradNorm }),
  });
}
