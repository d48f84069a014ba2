/**
 * The sampling engine's own decoding graph: the checkpoint's decoder with ONNX Runtime's
 * GroupQueryAttention (com.microsoft) in place of Concat(past, new) + attention, so the KV cache
 * is written in place instead of copied into a new present on every step.
 *
 * Why: in `model.onnx` (graph (1), the transformers.js-compatible export) every decoding step
 * concatenates the whole past with the new key/value into a fresh present: a full read and write
 * of the cache per layer per token, ~21% of a decoding step at batch 32 (bench/README.md). ORT's
 * CPU GroupQueryAttention kernel appends the new key/value at position seqlens_k[b] of the past
 * buffer and, when `past_key` and `present_key` are the same buffer (the caller feeds one tensor
 * and fetches the same tensor back: onnxruntime's `past_present_share_buffer`), nothing else is
 * copied. The cache is a capacity-sized buffer [batch, kv_heads, capacity, head_dim].
 *
 * I/O (model.onnx's names; only the cache dims and the logits differ):
 *   input_ids [batch, sequence_length], attention_mask [batch, total_sequence_length] (past + new,
 *   left padding as in model.onnx), position_ids [batch, sequence_length],
 *   past_key_values.{i}.key|value [batch, kv_heads, cache_capacity, head_dim]
 *   -> logits [batch, 1, vocab] (the last position only: all a sampler reads),
 *   -> present.{i}.key|value [batch, kv_heads, cache_capacity, head_dim] (the past, updated).
 * Every row writes its new tokens at columns [P, P + T): with left padding all rows share one
 * column index, so seqlens_k = total_sequence_length - 1 for every row, and the padding columns
 * are masked by an additive attention_bias built from attention_mask. GroupQueryAttention applies
 * the causal mask itself.
 *
 * The engine builds this graph in memory from the checkpoint's weights (sampling/engine.ts); it
 * is never written to the checkpoint, and `model.onnx` stays the export users and transformers.js
 * load. Logits agree with model.onnx to float32 round-off (shared-cache.test.ts).
 */
import type { GraphBuilder, Tensor } from '@sppo/autodiff';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { headDim, type LlamaWeights } from '../llama/params.ts';
import { ATTENTION_MASK_VALUE } from '../llama/reference.ts';
import type { CachedAttention } from './decoder.ts';
import { buildDecoderWithPastGraph, weightTensors } from './generation.ts';
import { attachWeights } from './onnx-weights.ts';

/**
 * Why this config cannot use the shared-cache graph (the engine then runs model.onnx), or
 * undefined when it can. ORT's CPU GroupQueryAttention needs head_dim a multiple of 8; the family
 * switches that change attention itself (sliding windows, soft-capping, a non-default query
 * scale) are not mapped onto its attributes yet.
 */
export function sharedCacheUnsupported(config: LlamaGraphConfig): string | undefined {
  const hd = headDim(config);
  if (hd % 8 !== 0) return `head_dim ${hd} is not a multiple of 8 (ORT's CPU GroupQueryAttention)`;
  const c = config as LlamaGraphConfig & Record<string, unknown>;
  const attentionSwitches = ['sliding_window', 'attn_logit_softcapping', 'query_pre_attn_scalar', 'layer_types'] as const;
  for (const key of attentionSwitches) {
    const value = c[key];
    if (value === undefined || value === null) continue;
    if (key === 'sliding_window' && c.model_type === 'qwen2' && c.use_sliding_window !== true) continue; // qwen2 ignores it unless switched on
    if (key === 'layer_types' && Array.isArray(value) && value.every((t) => t === 'full_attention')) continue;
    return `${key} is set (${JSON.stringify(value)}): the shared-cache decoder does not implement it`;
  }
  if (c.model_type !== undefined && !['llama', 'mistral', 'qwen2', 'qwen3'].includes(c.model_type as string)) {
    return `model_type ${String(c.model_type)} is not mapped onto GroupQueryAttention`;
  }
  return undefined;
}

/** [B, nH, T, hd] -> [B, T, nH * hd]: GroupQueryAttention's packed layout. */
function packHeads(g: GraphBuilder, x: Tensor, n: number, hd: number): Tensor {
  return g.reshape(g.transpose(x, [0, 2, 1, 3]), [0, 0, n * hd]);
}

/**
 * One GroupQueryAttention per layer over capacity-sized caches. seqlens_k and
 * total_sequence_length come from attention_mask's width (past + new); the bias masks the
 * padding columns of each row for every query ([B, 1, T, total], broadcast over heads).
 */
function groupQueryAttention(g: GraphBuilder, config: LlamaGraphConfig, inputIds: Tensor, attentionMask: Tensor): CachedAttention {
  const hd = headDim(config);
  const nH = config.num_attention_heads;
  const nKv = config.num_key_value_heads;
  const total = g.dimSize(attentionMask, 1); // int64 []
  const batch = g.slice(g.shapeOf(inputIds), [0], [1]); // int64 [1]
  const seqlensK = g.cast(g.expand(g.sub(total, 1), batch, [inputIds.shape[0]!]), 'int32'); // [B]
  const totalLength = g.cast(total, 'int32'); // []
  const T = inputIds.shape[1]!;
  const keyBias = g.unsqueeze(g.where(g.equal(attentionMask, 1), 0, ATTENTION_MASK_VALUE), [1, 2]); // [B, 1, 1, total]
  const biasShape = g.concat([batch, g.ints([1]), g.dimTensor(T, inputIds), g.unsqueeze(total, [0])], 0);
  const bias = g.expand(keyBias, biasShape, [inputIds.shape[0]!, 1, T, attentionMask.shape[1]!]);
  return (_layer, q, k, v, past) => {
    const cacheShape = past.key.shape; // [B, kv, capacity, hd]: present is the same buffer
    const [output, key, value] = g.emitMulti(
      'GroupQueryAttention',
      [packHeads(g, q, nH, hd), packHeads(g, k, nKv, hd), packHeads(g, v, nKv, hd), past.key, past.value, seqlensK, totalLength, undefined, undefined, undefined, bias],
      [
        { shape: [inputIds.shape[0]!, T, nH * hd], dtype: q.dtype },
        { shape: cacheShape, dtype: q.dtype },
        { shape: cacheShape, dtype: q.dtype },
      ],
      {
        domain: 'com.microsoft',
        attrs: { num_heads: { type: 'int', value: nH }, kv_num_heads: { type: 'int', value: nKv } },
        grad: 'stop',
      },
    ) as [Tensor, Tensor, Tensor];
    return { output, present: { key, value } };
  };
}

export interface SharedCacheDecoderFiles {
  model: Uint8Array;
  /** The weights as one external data file (the session's `externalData`), or null if embedded. */
  externalData: { path: string; data: Uint8Array } | null;
}

/** Name the graph gives its external weights; they are handed to the session from memory. */
export const SHARED_CACHE_DATA_FILE = 'shared_cache.onnx_data';

/** The shared-cache decoding graph with the weights embedded (float32), as ONNX bytes. */
export function buildSharedCacheDecoder(config: LlamaGraphConfig, weights: LlamaWeights): Uint8Array {
  return buildSharedCacheDecoderFiles(config, weights, { external: false }).model;
}

/**
 * The same graph, its weights embedded or (`external`, for models past protobuf's 2 GiB message
 * limit) referenced from one external data buffer that the caller hands to the session
 * (onnxruntime's `externalData` session option), never written to disk.
 */
export function buildSharedCacheDecoderFiles(config: LlamaGraphConfig, weights: LlamaWeights, { external }: { external: boolean }): SharedCacheDecoderFiles {
  const unsupported = sharedCacheUnsupported(config);
  if (unsupported !== undefined) throw new Error(`shared-cache decoder: ${unsupported}`);
  const tensors = weightTensors(config, weights);
  const graph = buildDecoderWithPastGraph(config, 'float32', {
    name: 'llama_decoder_shared_cache',
    cacheDim: 'cache_capacity',
    decoder: (g, { inputIds, attentionMask }) => ({ cachedAttention: groupQueryAttention(g, config, inputIds, attentionMask), lastLogitsOnly: true }),
  });
  if (!external) return { model: attachWeights(graph, tensors).model, externalData: null };
  const attached = attachWeights(graph, tensors, { externalLocation: SHARED_CACHE_DATA_FILE });
  const data = new Uint8Array(attached.externalData.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of attached.externalData) {
    data.set(chunk, at);
    at += chunk.byteLength;
  }
  return { model: attached.model, externalData: { path: SHARED_CACHE_DATA_FILE, data } };
}
