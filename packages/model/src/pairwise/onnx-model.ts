/**
 * `pairwise.onnx`, the judge's inference graph, in the contract any PairRM-style ONNX export must
 * meet (README.md in this folder):
 *
 *   input_ids       int64   [batch_size, sequence_length]   right-padded PairRM layout (inputs.ts)
 *   attention_mask  int64   [batch_size, sequence_length]   1 = token, 0 = padding
 *   -> logits       float32 [batch_size]                    logit that candidate 1 beats candidate 2
 *
 * Weights are initializers (the file stands alone). For training and float64 checks the same
 * graph is built with the weights as inputs (`buildPairwiseGraph`).
 */
import { createGraph, type FloatType } from '@sppo/autodiff';
import { attachWeights, type WeightTensor } from '../graphs/onnx-weights.ts';
import { checkPairwiseWeights, pairwiseParameterShapes, type MiniPairRMConfig, type PairwiseWeights } from './config.ts';
import { declarePairwiseParams, pairwiseLogits } from './encoder.ts';

export const PAIRWISE_MODEL_FILE = 'pairwise.onnx';

export interface PairwiseGraphOptions {
  floatType?: FloatType;
  /** Static dims (a number) or symbolic (default). */
  batchSize?: number | string;
  sequenceLength?: number | string;
}

/** The forward graph with the parameters as graph inputs (HF names, pairwiseParameterShapes order). */
export function buildPairwiseGraph(
  config: MiniPairRMConfig,
  { floatType = 'float32', batchSize = 'batch_size', sequenceLength = 'sequence_length' }: PairwiseGraphOptions = {},
): Uint8Array {
  const g = createGraph({ name: 'mini_pairrm', floatType });
  const params = declarePairwiseParams(g, config);
  const inputIds = g.input('input_ids', [batchSize, sequenceLength], 'int64');
  const attentionMask = g.input('attention_mask', [batchSize, sequenceLength], 'int64');
  g.output('logits', pairwiseLogits(g, config, params, { inputIds, attentionMask }));
  return g.toModel();
}

/** pairwise.onnx bytes: the float32 graph with the weights embedded as initializers. */
export function buildPairwiseModel(config: MiniPairRMConfig, weights: PairwiseWeights): Uint8Array {
  checkPairwiseWeights(config, weights);
  const tensors: WeightTensor[] = pairwiseParameterShapes(config).map(({ name, shape }) => {
    const data = weights.get(name) as Float32Array | Float64Array;
    return { name, dims: shape, data: data instanceof Float32Array ? data : Float32Array.from(data) };
  });
  return attachWeights(buildPairwiseGraph(config), tensors).model;
}
