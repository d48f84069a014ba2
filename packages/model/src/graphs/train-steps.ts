/**
 * Training graphs for one (batch, sequence) shape bucket. Each loss is available two ways:
 * - `*LossBuild(options)`: the `(g) => { loss, metrics }` callback that autodiff's
 *   `buildTrainStep` / `buildGradientStep` take (gradient accumulation, custom optimizers);
 * - `build*TrainStep(options)`: the fused step (forward + gradients + clipping + optimizer, one
 *   `run()` per step; ENGINE-NOTES "Recommended shape of the engine").
 * Parameters keep their HF names; the updated value of input `x` is output `next/x` (autodiff API.md).
 */
import { buildTrainStep, type FloatType, type GraphBuilder, type OptimizerConfig, type StepGraph } from '@sppo/autodiff';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { bf16BaseNames, declareLoraParams, type LoraGraphOptions } from '../lora/graph.ts';
import { loraParameterShapes } from '../lora/params.ts';
import { loraTargets, type LoraSpec } from '../lora/spec.ts';
import { declareParams, type ParamTensors } from './decoder.ts';
import {
  preferenceLoss,
  probabilityInputsFor,
  singleResponseSppoLoss,
  sftLoss,
  type LossGraph,
  type PreferenceLossType,
} from './losses.ts';
import { declareTokenBatch } from './sequence-logps.ts';

export type LossBuild = (g: GraphBuilder) => LossGraph;

export interface GraphBucketOptions {
  config: LlamaGraphConfig;
  /** Rows of the bucket (preference steps: pairs; their graph holds 2 x batchSize rows). */
  batchSize: number;
  sequenceLength: number;
  /**
   * Declare a `row_mask` input [B] (1 = real example, 0 = filler) so that a short last batch can
   * be padded to the bucket without changing the mean (preference and per-response losses; SFT
   * needs none: a filler row has no response tokens).
   */
  rowMask?: boolean;
  /**
   * LoRA adapters on a frozen base (packages/model/src/lora): the step trains only the adapter
   * tensors; the base weights stay graph inputs without gradients.
   */
  lora?: LoraSpec & LoraGraphOptions;
}

/** The model's params for a bucket: the base alone, or the base plus the LoRA adapter. */
export function bucketParams(g: GraphBuilder, o: GraphBucketOptions): ParamTensors {
  if (!o.lora) return declareParams(g, o.config);
  return declareLoraParams(g, o.config, o.lora, o.lora).params;
}

/** The trainable names of a bucket: the caller's subset, else the adapter's (LoRA), else all. */
export function bucketTrainable(o: GraphBucketOptions & { trainable?: string[] }): string[] | undefined {
  if (o.trainable) return o.trainable;
  if (!o.lora) return undefined;
  return loraParameterShapes(loraTargets(o.config, o.lora), o.lora.r).map((p) => p.name);
}

export interface TrainStepCommon extends GraphBucketOptions {
  optimizer: OptimizerConfig;
  /** Global-norm clipping (TRL/HF `max_grad_norm`, 1.0); undefined = no clipping. */
  maxGradNorm?: number;
  floatType?: FloatType;
  /** 'scatter' (ScatterND add) or 'onehot' (any execution provider) for the embedding gradient. */
  gatherGradient?: 'scatter' | 'onehot';
  /** Trainable subset of parameter names (default: all); the rest stay frozen inputs. */
  trainable?: string[];
}

function stepOptions(o: TrainStepCommon, name: string) {
  const trainable = bucketTrainable(o);
  return {
    name,
    floatType: o.floatType ?? 'float32',
    gatherGradient: o.gatherGradient ?? 'scatter',
    optimizer: o.optimizer,
    ...(o.maxGradNorm !== undefined ? { maxGradNorm: o.maxGradNorm } : {}),
    ...(trainable ? { params: trainable } : {}),
    // A bf16 base: its bit tensors are held by the stepper; opset 26 for BitCast (the fast decode).
    ...(o.lora?.baseDtype === 'bfloat16' ? { held: bf16BaseNames(o.config), opset: 26 } : {}),
  };
}

/** SFT loss. Data: `input_ids`, `attention_mask`, `response_mask` int64 [B, T]. */
export function sftLossBuild(o: GraphBucketOptions): LossBuild {
  return (g) => sftLoss(g, o.config, bucketParams(g, o), declareTokenBatch(g, o.batchSize, o.sequenceLength));
}

/** Fused SFT step. Outputs: loss, mean_token_accuracy, num_tokens, grad_norm. */
export function buildSftTrainStep(o: TrainStepCommon): StepGraph {
  return buildTrainStep(sftLossBuild(o), stepOptions(o, 'llama_sft_step'));
}

export interface PreferenceLossBuildOptions extends GraphBucketOptions {
  lossType: PreferenceLossType;
  beta: number;
  labelSmoothing?: number;
}

/**
 * Preference loss on B pairs. Data: `input_ids`, `attention_mask`, `response_mask` int64 [2B, T]
 * (chosen rows first, then the rejected rows in the same order); `reference_chosen_logps`,
 * `reference_rejected_logps` [B]; and, by loss type, `chosen_probs_win` + `chosen_probs_lose`
 * (sppo) or `chosen_probs` (sppo_single), all [B] in the float type.
 */
export function preferenceLossBuild(o: PreferenceLossBuildOptions): LossBuild {
  const B = o.batchSize;
  return (g) => {
    const params = bucketParams(g, o);
    const batch = declareTokenBatch(g, 2 * B, o.sequenceLength);
    const probs = probabilityInputsFor(o.lossType);
    const prob = (name: (typeof probs)[number]) => (probs.includes(name) ? g.input(name, [B], g.floatType) : undefined);
    return preferenceLoss(
      g,
      o.config,
      params,
      batch,
      {
        referenceChosenLogps: g.input('reference_chosen_logps', [B], g.floatType),
        referenceRejectedLogps: g.input('reference_rejected_logps', [B], g.floatType),
        chosenProbs: prob('chosen_probs'),
        chosenProbsWin: prob('chosen_probs_win'),
        chosenProbsLose: prob('chosen_probs_lose'),
        rowMask: o.rowMask ? g.input('row_mask', [B], g.floatType) : undefined,
      },
      { lossType: o.lossType, beta: o.beta, labelSmoothing: o.labelSmoothing ?? 0 },
    );
  };
}

export type PreferenceTrainStepOptions = PreferenceLossBuildOptions & TrainStepCommon;

/**
 * Fused preference step. Outputs: loss, rewards/{chosen,rejected,accuracies,margins},
 * logps/{chosen,rejected}, grad_norm, and `next/*` for params and optimizer state.
 */
export function buildPreferenceTrainStep(o: PreferenceTrainStepOptions): StepGraph {
  return buildTrainStep(preferenceLossBuild(o), stepOptions(o, `llama_${o.lossType}_step`));
}

export interface SingleResponseSppoLossBuildOptions extends GraphBucketOptions {
  beta: number;
}

/**
 * Per-response SPPO (selection 'all', eq. 4.7 on every response). Data: `input_ids`,
 * `attention_mask`, `response_mask` int64 [B, T]; `reference_logps` and `win_rate` [B].
 */
export function singleResponseSppoLossBuild(o: SingleResponseSppoLossBuildOptions): LossBuild {
  return (g) =>
    singleResponseSppoLoss(
      g,
      o.config,
      bucketParams(g, o),
      declareTokenBatch(g, o.batchSize, o.sequenceLength),
      {
        referenceLogps: g.input('reference_logps', [o.batchSize], g.floatType),
        winRate: g.input('win_rate', [o.batchSize], g.floatType),
        rowMask: o.rowMask ? g.input('row_mask', [o.batchSize], g.floatType) : undefined,
      },
      { beta: o.beta },
    );
}

export type SingleResponseSppoTrainStepOptions = SingleResponseSppoLossBuildOptions & TrainStepCommon;

/** Fused per-response step. Outputs: loss, rewards/mean, rewards/positive, logps/mean, grad_norm. */
export function buildSingleResponseSppoTrainStep(o: SingleResponseSppoTrainStepOptions): StepGraph {
  return buildTrainStep(singleResponseSppoLossBuild(o), stepOptions(o, 'llama_sppo_response_step'));
}
