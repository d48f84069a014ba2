/**
 * A decoder-with-past ONNX model as optimum exports it and transformers.js runs it (ENVIRONMENT.md,
 * "decoder-with-past ONNX contract"): our checkpoints' `model.onnx` and users' exported HF models.
 * The only module of the sampler that touches onnxruntime (as transformers.js keeps it in
 * backends/onnx.js). What the graph declares is read from the session's input metadata:
 * `position_ids` is optional, optimum's merged decoders add a `use_cache_branch` flag, and the
 * number of layers, KV heads and head size come from the `past_key_values.{i}.key` inputs.
 *
 * The engine's own shared-cache graph (graphs/shared-cache.ts, built from a checkpoint's weights)
 * runs through the same interface with `sharedCache: true`: its past tensors have spare columns
 * (KvCache.capacity), each step feeds them and fetches the same tensors back as the present, so
 * ORT's GroupQueryAttention appends the new key/value in place, and its logits are the last
 * position's only.
 */
import * as ort from 'onnxruntime-node';
import { availableProviders, executionProviderStartError } from '@sppo/autodiff';
import { SamplingError } from './errors.ts';
import { kvCapacity, selectKvRows, type KvCache } from './kv-cache.ts';

export const EXECUTION_PROVIDER_NAMES = ['cpu', 'cuda', 'webgpu'] as const;

export interface DecoderOptions {
  /** 'cpu' (default), 'cuda' or 'webgpu': any backend this onnxruntime-node build lists. */
  executionProvider?: string;
  intraOpNumThreads?: number;
  /** Used when the graph leaves KV heads or head size symbolic (config.json values). */
  numKeyValueHeads?: number;
  headDim?: number;
  /** The graph is the shared-cache decoder (graphs/shared-cache.ts). */
  sharedCache?: boolean;
  /** External data files of an in-memory graph (onnxruntime's `externalData`). */
  externalData?: { path: string; data: Uint8Array }[];
}

export interface StepInput {
  batch: number;
  /** New tokens per row in this step. */
  seqLen: number;
  /** [batch, seqLen] */
  inputIds: BigInt64Array;
  /** [batch, past + seqLen] */
  attentionMask: BigInt64Array;
  /** [batch, seqLen] */
  positionIds: BigInt64Array;
  past: KvCache;
}

/**
 * What one step returns. After a decoding step (a past was given) both fields are views into the
 * decoder's reused buffers: `lastLogits` is overwritten by the next step and `present` by the step
 * after it, so feed `present` straight back as the next past (or copy it) and read the logits first.
 */
export interface StepOutput {
  /** Logits of the LAST position of each row: [batch, vocab]. */
  lastLogits: Float32Array;
  vocab: number;
  present: KvCache;
}

export interface DecoderModel {
  readonly numLayers: number;
  readonly numKeyValueHeads: number;
  readonly headDim: number;
  readonly hasPositionIds: boolean;
  readonly executionProvider: string;
  /** The shared-cache decoder: give the first past spare columns (KvCache.capacity) to append into. */
  readonly sharedCache: boolean;
  step(input: StepInput): Promise<StepOutput>;
  close(): Promise<void>;
}

const KNOWN_INPUTS = /^(input_ids|attention_mask|position_ids|use_cache_branch|past_key_values\.\d+\.(key|value))$/;

function dimOf(meta: ort.InferenceSession.ValueMetadata | undefined, axis: number): number | undefined {
  if (meta === undefined || !meta.isTensor) return undefined;
  const d = meta.shape[axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
}

/** `model` is an ONNX file's path or the bytes of an in-memory graph. */
export async function openDecoder(model: string | Uint8Array, options: DecoderOptions = {}): Promise<DecoderModel> {
  const modelName = typeof model === 'string' ? model : 'the in-memory decoder graph';
  const { executionProvider = 'cpu', intraOpNumThreads } = options;
  const available = availableProviders();
  if (!available.includes(executionProvider)) {
    throw new SamplingError(
      'invalid_params',
      `execution provider "${executionProvider}" is not available in this onnxruntime-node build. Available: ${available.join(', ')}. ` +
        `Valid names are ${EXECUTION_PROVIDER_NAMES.join(', ')}; for cuda reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 on a GPU host.`,
      { param: 'execution_provider' },
    );
  }
  let session: ort.InferenceSession;
  try {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [executionProvider],
      graphOptimizationLevel: 'all',
      ...(intraOpNumThreads === undefined ? {} : { intraOpNumThreads }),
      ...(options.externalData === undefined ? {} : { externalData: options.externalData }),
    };
    session = typeof model === 'string' ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
  } catch (e) {
    const providerError = executionProviderStartError(executionProvider, e);
    if (providerError !== undefined) throw new SamplingError('invalid_params', providerError.message, { param: 'execution_provider', cause: e });
    throw new SamplingError('invalid_model', `cannot load the ONNX model ${modelName}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return options.sharedCache ? describeSharedCacheDecoder(session, executionProvider, options) : describeDecoder(session, executionProvider, options);
  } catch (e) {
    await session.release();
    throw e;
  }
}

/** Layers (past_key_values.{i}.key inputs), KV heads and head size as the graph declares them, else config.json's. */
function pastLayout(inputs: ReadonlyMap<string, ort.InferenceSession.ValueMetadata>, options: DecoderOptions): { numLayers: number; numKeyValueHeads: number | undefined; headDim: number | undefined } {
  let numLayers = 0;
  while (inputs.has(`past_key_values.${numLayers}.key`)) numLayers++;
  const firstPast = inputs.get('past_key_values.0.key');
  return { numLayers, numKeyValueHeads: dimOf(firstPast, 1) ?? options.numKeyValueHeads, headDim: dimOf(firstPast, 3) ?? options.headDim };
}

function describeDecoder(session: ort.InferenceSession, executionProvider: string, options: DecoderOptions): DecoderModel {
  const inputs = new Map(session.inputMetadata.map((m) => [m.name, m]));
  const { numLayers, numKeyValueHeads, headDim } = pastLayout(inputs, options);
  const problems: string[] = [];
  for (const name of ['input_ids', 'attention_mask']) if (!inputs.has(name)) problems.push(`it has no "${name}" input`);
  if (!session.outputNames.includes('logits')) problems.push('it has no "logits" output');
  if (numLayers === 0) problems.push('it has no past_key_values.{i}.key|value inputs (export it "with past", e.g. optimum task text-generation-with-past)');
  for (let i = 0; i < numLayers; i++) {
    for (const kind of ['key', 'value']) {
      const meta = inputs.get(`past_key_values.${i}.${kind}`);
      if (meta === undefined) problems.push(`past_key_values.${i}.${kind} is missing`);
      else if (meta.isTensor && meta.type !== 'float32') problems.push(`past_key_values.${i}.${kind} is ${meta.type}; only float32 models are supported (export with --dtype fp32)`);
      if (!session.outputNames.includes(`present.${i}.${kind}`)) problems.push(`output present.${i}.${kind} is missing`);
    }
  }
  const unknown = [...inputs.keys()].filter((n) => !KNOWN_INPUTS.test(n));
  if (unknown.length > 0) problems.push(`it has inputs this sampler cannot feed: ${unknown.join(', ')}`);
  if (numLayers > 0 && (numKeyValueHeads === undefined || headDim === undefined)) {
    problems.push('its past_key_values inputs leave the KV heads or head size symbolic and config.json does not give num_key_value_heads and head_dim');
  }
  if (problems.length > 0) {
    throw new SamplingError(
      'invalid_model',
      `the ONNX model is not a decoder-with-past model in the optimum / transformers.js layout:\n  - ${problems.join('\n  - ')}\n` +
        'Expected inputs input_ids, attention_mask, [position_ids], past_key_values.{i}.key|value and outputs logits, present.{i}.key|value.',
    );
  }
  const hasPositionIds = inputs.has('position_ids');
  const hasUseCacheBranch = inputs.has('use_cache_branch');
  const kvHeads = numKeyValueHeads as number;
  const dim = headDim as number;
  let vocabSize: number | undefined;

  // Two sets of output buffers ("slabs") per layer, key and value: each step writes its present
  // KV into the set that does not hold its past, so the next step reads it in place while the
  // step after writes into the other set again. ORT fills these preallocated outputs directly,
  // instead of allocating fresh outputs that onnxruntime-node then copies into new JS arrays
  // (a full KV-cache copy and fresh pages on every step); 2-19% per step on the bench model.
  const slabs: { key: Float32Array; value: Float32Array }[][] = [[], []];
  let logitsSlab = new Float32Array(0);
  const view = (layer: number, kind: 'key' | 'value', past: Float32Array, length: number): Float32Array => {
    const sets = slabs.map((s) => s[layer] ?? (s[layer] = { key: new Float32Array(0), value: new Float32Array(0) }));
    // The set whose buffer the past does not live in (the past may also be a fresh array).
    const slot = (sets[0]?.[kind].buffer === past.buffer ? sets[1] : sets[0]) as { key: Float32Array; value: Float32Array };
    if (slot[kind].length < length) slot[kind] = new Float32Array(Math.ceil(length * 1.25));
    return slot[kind].subarray(0, length);
  };
  // An export whose outputs do not have the shapes above (present = past + new) makes ORT refuse
  // preallocated outputs: the session then falls back to ORT's own outputs for good.
  let preallocate = true;

  return {
    numLayers,
    numKeyValueHeads: kvHeads,
    headDim: dim,
    hasPositionIds,
    executionProvider,
    sharedCache: false,
    async step({ batch, seqLen, inputIds, attentionMask, positionIds, past }) {
      const total = past.length + seqLen;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', inputIds, [batch, seqLen]),
        attention_mask: new ort.Tensor('int64', attentionMask, [batch, total]),
      };
      if (hasPositionIds) feeds.position_ids = new ort.Tensor('int64', positionIds, [batch, seqLen]);
      // optimum's merged decoder: the flag picks the with-past branch (true once a past exists).
      if (hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(past.length > 0 ? 1 : 0), [1]);
      const pastDims = [batch, kvHeads, past.length, dim];
      past.layers.forEach((layer, i) => {
        feeds[`past_key_values.${i}.key`] = new ort.Tensor('float32', layer.key, pastDims);
        feeds[`past_key_values.${i}.value`] = new ort.Tensor('float32', layer.value, pastDims);
      });
      const presentDims = [batch, kvHeads, total, dim];
      const presentLength = batch * kvHeads * total * dim;
      const fetches: Record<string, ort.Tensor | null> = {};
      // A prefill (no past) gets outputs of its own: chunked prefills are concatenated afterwards.
      const reuse = preallocate && past.length > 0;
      const preallocated = Array.from({ length: numLayers }, (_, i) => {
        const pastLayer = past.layers[i] as KvCache['layers'][number];
        if (!reuse) {
          fetches[`present.${i}.key`] = null;
          fetches[`present.${i}.value`] = null;
          return undefined;
        }
        const key = view(i, 'key', pastLayer.key, presentLength);
        const value = view(i, 'value', pastLayer.value, presentLength);
        fetches[`present.${i}.key`] = new ort.Tensor('float32', key, presentDims);
        fetches[`present.${i}.value`] = new ort.Tensor('float32', value, presentDims);
        return { key, value };
      });
      // Decoding steps also reuse one logits buffer ([batch, 1, vocab]); a prefill's logits cover
      // every prompt position and are left to ORT. The vocabulary is known after the first run.
      if (reuse && seqLen === 1 && vocabSize !== undefined) {
        if (logitsSlab.length < batch * vocabSize) logitsSlab = new Float32Array(batch * vocabSize);
        fetches.logits = new ort.Tensor('float32', logitsSlab.subarray(0, batch * vocabSize), [batch, 1, vocabSize]);
      } else fetches.logits = null;
      let out: ort.InferenceSession.ReturnType;
      try {
        out = await session.run(feeds, fetches);
      } catch (e) {
        if (!reuse) throw e;
        preallocate = false;
        preallocated.fill(undefined);
        out = await session.run(feeds);
      }
      const logits = out.logits;
      if (logits === undefined) throw new Error('the model returned no logits');
      const vocab = logits.dims[2] as number;
      vocabSize = vocab;
      const all = logits.data as Float32Array;
      // Only the last position of each row is needed to pick the next token. The caller consumes
      // the logits before the next step overwrites the shared buffer.
      const lastLogits = seqLen === 1 ? all : new Float32Array(batch * vocab);
      if (seqLen > 1) {
        for (let b = 0; b < batch; b++) lastLogits.set(all.subarray(((b + 1) * seqLen - 1) * vocab, (b + 1) * seqLen * vocab), b * vocab);
      }
      const layers = preallocated.map(
        (layer, i) =>
          layer ?? {
            key: out[`present.${i}.key`]?.data as Float32Array,
            value: out[`present.${i}.value`]?.data as Float32Array,
          },
      );
      // ORT's own outputs say their length (an export may keep a fixed or windowed cache).
      const length = preallocated[0] === undefined ? (out['present.0.key']?.dims[2] ?? total) : total;
      return { lastLogits, vocab, present: { layers, batch, heads: kvHeads, length, headDim: dim } };
    },
    close: () => session.release(),
  };
}

/**
 * The shared-cache decoder: the past tensors are fed and fetched back as the present (the same
 * buffers, so ORT's GroupQueryAttention writes in place: past_present_share_buffer), and the graph
 * returns the last position's logits only. A past without room for the new tokens is first copied
 * into one with SHARED_CACHE_GROWTH spare columns.
 */
/**
 * Spare columns a shared cache gets when it is (re)allocated. ORT's CPU GroupQueryAttention costs
 * time in proportion to the buffer's capacity, not only to the columns in use (measured on the
 * bench model at batch 160: 10 ms per step at 91 columns for 91 used, 22 ms at 130, 26 ms at
 * 300), so the cache grows in small steps: one copy every 16 tokens instead of a Concat copy on
 * every token, and at most 16 idle columns per attention.
 */
export const SHARED_CACHE_GROWTH = 16;

function describeSharedCacheDecoder(session: ort.InferenceSession, executionProvider: string, options: DecoderOptions): DecoderModel {
  const { numLayers, numKeyValueHeads: kvHeads, headDim: dim } = pastLayout(new Map(session.inputMetadata.map((m) => [m.name, m])), options);
  if (numLayers === 0 || kvHeads === undefined || dim === undefined || !session.outputNames.includes('logits')) {
    throw new SamplingError('invalid_model', 'the shared-cache decoder graph lacks past_key_values.{i}.key|value inputs with fixed heads and head size, or its logits output');
  }
  let logitsSlab = new Float32Array(0);
  let vocabSize: number | undefined;
  return {
    numLayers,
    numKeyValueHeads: kvHeads,
    headDim: dim,
    hasPositionIds: true,
    executionProvider,
    sharedCache: true,
    async step({ batch, seqLen, inputIds, attentionMask, positionIds, past: given }) {
      const total = given.length + seqLen;
      const capacity = kvCapacity(given);
      const past = capacity >= total ? given : selectKvRows(given, [...Array(given.batch).keys()], 0, total + SHARED_CACHE_GROWTH);
      const dims = [batch, kvHeads, kvCapacity(past), dim];
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', inputIds, [batch, seqLen]),
        attention_mask: new ort.Tensor('int64', attentionMask, [batch, total]),
        position_ids: new ort.Tensor('int64', positionIds, [batch, seqLen]),
      };
      const fetches: Record<string, ort.Tensor | null> = {};
      past.layers.forEach((layer, i) => {
        const key = new ort.Tensor('float32', layer.key, dims);
        const value = new ort.Tensor('float32', layer.value, dims);
        feeds[`past_key_values.${i}.key`] = key;
        feeds[`past_key_values.${i}.value`] = value;
        fetches[`present.${i}.key`] = key;
        fetches[`present.${i}.value`] = value;
      });
      // Decoding steps reuse one logits buffer; prefills (possibly several chunks of one batch,
      // whose logits are all read afterwards) get their own.
      if (seqLen === 1 && vocabSize !== undefined) {
        if (logitsSlab.length < batch * vocabSize) logitsSlab = new Float32Array(batch * vocabSize);
        fetches.logits = new ort.Tensor('float32', logitsSlab.subarray(0, batch * vocabSize), [batch, 1, vocabSize]);
      } else fetches.logits = null;
      const out = await session.run(feeds, fetches);
      const logits = out.logits;
      if (logits === undefined) throw new Error('the model returned no logits');
      vocabSize = logits.dims[2] as number;
      return { lastLogits: logits.data as Float32Array, vocab: vocabSize, present: { ...past, length: total } };
    },
    close: () => session.release(),
  };
}
