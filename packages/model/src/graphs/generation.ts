/**
 * Graph (1): one decoding step with a KV cache, in the decoder-with-past I/O naming that optimum
 * exports and transformers.js 4.3 runs (docs ENVIRONMENT.md): the checkpoint's `model.onnx`.
 *
 *   input_ids                 int64   [batch_size, sequence_length]
 *   attention_mask            int64   [batch_size, total_sequence_length]   (past + new)
 *   position_ids              int64   [batch_size, sequence_length]
 *   past_key_values.{i}.key   float32 [batch_size, num_key_value_heads, past_sequence_length, head_dim]
 *   past_key_values.{i}.value (same)
 *   -> logits                 float32 [batch_size, sequence_length, vocab_size]
 *   -> present.{i}.key|value  float32 [batch_size, num_key_value_heads, past + sequence_length, head_dim]
 *
 * Dim 0 is named exactly `batch_size` and heads / head_dim are fixed numbers, because
 * transformers.js builds the first (empty) past from this metadata. Weights are initializers.
 */
import { createGraph, type FloatType, type GraphBuilder, type Tensor } from '@sppo/autodiff';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { checkWeights, headDim, parameterShapes, type LlamaWeights } from '../llama/params.ts';
import { declareParams, llamaDecoder, type DecoderInputs } from './decoder.ts';
import { attachWeights, type WeightTensor } from './onnx-weights.ts';

export const EXTERNAL_DATA_FILE = 'model.onnx_data';

export interface DecoderWithPastGraphOptions {
  /** The graph's name. */
  name: string;
  /** Name of the cache's length dim of past_key_values and present (past_sequence_length). */
  cacheDim: string;
  /** More decoder inputs (a cached attention, last-position logits), built with the graph's I/O tensors. */
  decoder?: (g: GraphBuilder, io: { inputIds: Tensor; attentionMask: Tensor }) => Partial<DecoderInputs>;
}

/**
 * A decoder-with-past graph in optimum's I/O names, encoded with the parameters still as inputs
 * (what `attachWeights` then fills): model.onnx's graph, and with other options the sampling
 * engine's shared-cache graph (shared-cache.ts).
 */
export function buildDecoderWithPastGraph(config: LlamaGraphConfig, floatType: FloatType, { name, cacheDim, decoder }: DecoderWithPastGraphOptions): Uint8Array {
  const g = createGraph({ name, floatType });
  const params = declareParams(g, config);
  const inputIds = g.input('input_ids', ['batch_size', 'sequence_length'], 'int64');
  const attentionMask = g.input('attention_mask', ['batch_size', 'total_sequence_length'], 'int64');
  const positionIds = g.input('position_ids', ['batch_size', 'sequence_length'], 'int64');
  const kvShape = ['batch_size', config.num_key_value_heads, cacheDim, headDim(config)];
  const past = Array.from({ length: config.num_hidden_layers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, kvShape, floatType),
    value: g.input(`past_key_values.${i}.value`, kvShape, floatType),
  }));
  const { logits, presents } = llamaDecoder(g, config, params, {
    inputIds,
    attentionMask,
    positionIds,
    past,
    ...decoder?.(g, { inputIds, attentionMask }),
  });
  g.output('logits', logits);
  presents.forEach((p, i) => {
    g.output(`present.${i}.key`, p.key);
    g.output(`present.${i}.value`, p.value);
  });
  return g.toModel();
}

/** The weights as float32 initializers in parameterShapes order (float64 weights rounded). */
export function weightTensors(config: LlamaGraphConfig, weights: LlamaWeights): WeightTensor[] {
  checkWeights(config, weights);
  return parameterShapes(config).map(({ name, shape }) => {
    const w = weights.get(name) as Float32Array | Float64Array;
    return { name, dims: shape, data: w instanceof Float32Array ? w : Float32Array.from(w) };
  });
}

export interface GenerationModelFiles {
  /** Bytes of model.onnx. */
  model: Uint8Array;
  /** Chunks of model.onnx_data in order (write them one after the other), or null if embedded. */
  externalData: { fileName: string; chunks: Uint8Array[] } | null;
}

export interface GenerationModelOptions {
  /** 'auto' externalises the weights when the embedded model would pass `maxEmbeddedBytes`. */
  externalData?: 'auto' | 'always' | 'never';
  /** Default 1.5 GiB: well under protobuf's 2 GiB message limit. */
  maxEmbeddedBytes?: number;
}

/**
 * model.onnx plus, for big models, model.onnx_data (ONNX external data, loaded by onnxruntime and
 * by transformers.js from the same folder). Float64 weights are rounded to float32.
 */
export function buildGenerationModelFiles(
  config: LlamaGraphConfig,
  weights: LlamaWeights,
  { externalData = 'auto', maxEmbeddedBytes = 1.5 * 2 ** 30 }: GenerationModelOptions = {},
): GenerationModelFiles {
  const tensors = weightTensors(config, weights);
  const graph = buildDecoderWithPastGraph(config, 'float32', { name: 'llama_decoder_with_past', cacheDim: 'past_sequence_length' });
  const weightBytes = tensors.reduce((n, t) => n + t.data.byteLength, 0);
  const external = externalData === 'always' || (externalData === 'auto' && graph.length + weightBytes > maxEmbeddedBytes);
  if (!external) return { model: attachWeights(graph, tensors).model, externalData: null };
  const attached = attachWeights(graph, tensors, { externalLocation: EXTERNAL_DATA_FILE });
  return { model: attached.model, externalData: { fileName: EXTERNAL_DATA_FILE, chunks: attached.externalData } };
}

/**
 * The self-contained model.onnx (weights embedded as initializers). Throws for models whose
 * weights do not fit one protobuf message (about 2 GiB): use `buildGenerationModelFiles` there.
 */
export function buildGenerationModel(config: LlamaGraphConfig, weights: LlamaWeights): Uint8Array {
  const files = buildGenerationModelFiles(config, weights, { externalData: 'never' });
  return files.model;
}
