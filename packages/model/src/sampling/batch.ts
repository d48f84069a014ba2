/**
 * One batch of sample rows through a decoder-with-past model, the way HF `generate` does it for
 * left-padded batches (ENVIRONMENT.md): attention_mask marks real tokens, position_ids =
 * cumsum(mask) - 1 with padding set to 1, presents fed back as the next past. Beyond that:
 * - rows that share a prompt (K samples) share ONE prefill; the cache rows are then repeated;
 * - a finished row leaves the batch (its cache rows are dropped), and columns that have become
 *   padding in every remaining row are dropped too, so late steps run on a smaller batch;
 * - every row draws from its own seeded stream (rng.ts), so its text does not depend on the
 *   other rows in the batch;
 * - with the engine's shared-cache decoder the cache has spare columns that each step appends to
 *   in place (the decoder widens it by SHARED_CACHE_GROWTH columns when it is full); row surgery
 *   keeps them.
 */
import { SHARED_CACHE_GROWTH, type DecoderModel, type StepOutput } from './decoder.ts';
import { concatFloats, concatKvRows, emptyKvCache, kvCapacity, selectKvRows, type KvCache } from './kv-cache.ts';
import { sampleToken } from './logits.ts';
import type { SamplingParams } from './params.ts';
import { createSampleRng, type SampleRng } from './rng.ts';
import { findStop } from './stop.ts';

export type FinishReason = 'stop' | 'length';

export interface RowJob {
  promptIds: readonly number[];
  seed: number;
  params: SamplingParams;
  /** params.maxNewTokens, capped by the context window. */
  maxNewTokens: number;
}

export interface RowResult {
  /** Generated ids, including the EOS token that ended the row (if one did). */
  tokenIds: number[];
  finishReason: FinishReason;
  /** Decoded response without the EOS token, cut before a matched stop string. */
  text: string;
}

export interface BatchContext {
  padId: number;
  eosIds: ReadonlySet<number>;
  decode: (ids: readonly number[]) => string;
  /** Called once per finished row with its index in `jobs`. */
  onRowDone?: (index: number, result: RowResult) => void;
  /** Called after every decoding step with the number of tokens it produced. */
  onStep?: (tokens: number) => void;
  /** Called after every decoding step with the rows that got a token and go on (index in `jobs`,
   *  every token so far); rows that finished get onRowDone instead. For text streaming. */
  onTokens?: (rows: { index: number; tokens: readonly number[] }[]) => void;
  /** A cancelled row (index in `jobs`) leaves the batch at the next step, with no result. */
  isCancelled?: (index: number) => boolean;
  /** The model's vocabulary size (an estimate is enough): sizes the prefill chunks. */
  vocabSize?: number;
  /** The graph returns logits for EVERY prompt position ([G, width, vocab] floats): prompts are
   *  prefilled in chunks whose logits stay under this many bytes (default 256 MiB). */
  prefillLogitsBytes?: number;
}

interface Row {
  job: number;
  rng: SampleRng;
  tokens: number[];
  pad: number;
  nextPosition: number;
}

export async function runBatch(decoder: DecoderModel, jobs: readonly RowJob[], ctx: BatchContext): Promise<RowResult[]> {
  const results: RowResult[] = new Array(jobs.length);
  if (jobs.length === 0) return results;

  // Prefill each distinct prompt once.
  const groupIndex = new Map<string, number>();
  const groups: (readonly number[])[] = [];
  const rowGroup = jobs.map((job) => {
    const key = job.promptIds.join(',');
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = groups.length;
      groupIndex.set(key, g);
      groups.push(job.promptIds);
    }
    return g;
  });
  const width = Math.max(...groups.map((p) => p.length));
  const G = groups.length;
  const perChunk = Math.max(1, Math.floor((ctx.prefillLogitsBytes ?? 256 * 2 ** 20) / (4 * width * (ctx.vocabSize ?? 32_000))));
  // The shared-cache decoder appends in place into spare columns (see SHARED_CACHE_GROWTH).
  const capacity = decoder.sharedCache ? width + Math.min(SHARED_CACHE_GROWTH, Math.max(...jobs.map((j) => j.maxNewTokens))) : 0;
  const prefills = [];
  for (let start = 0; start < G; start += perChunk) prefills.push(await prefillChunk(decoder, groups.slice(start, start + perChunk), width, ctx.padId, capacity));
  const prefill = {
    vocab: (prefills[0] as StepOutput).vocab,
    present: concatKvRows(prefills.map((p) => p.present)),
    lastLogits: prefills.length === 1 ? (prefills[0] as StepOutput).lastLogits : concatFloats(prefills.map((p) => p.lastLogits)),
  };
  const vocab = prefill.vocab;
  const identity = rowGroup.every((g, i) => g === i);
  const room = (c: KvCache): number | undefined => (decoder.sharedCache ? kvCapacity(c) : undefined);
  let cache: KvCache = identity ? prefill.present : selectKvRows(prefill.present, rowGroup, 0, room(prefill.present));
  let logits = identity ? prefill.lastLogits : gatherLogits(prefill.lastLogits, rowGroup, vocab);
  let rows: Row[] = jobs.map((job, i) => {
    const promptLength = job.promptIds.length;
    return { job: i, rng: createSampleRng(job.seed), tokens: [], pad: width - promptLength, nextPosition: promptLength };
  });

  for (;;) {
    // Sample one token per row; finish rows on EOS, a stop string or their length budget.
    const alive: number[] = [];
    rows.forEach((row, b) => {
      if (ctx.isCancelled?.(row.job)) return;
      const job = jobs[row.job] as RowJob;
      const token = sampleToken(logits.subarray(b * vocab, (b + 1) * vocab), job.params, row.rng);
      row.tokens.push(token);
      const result = finishIfDone(row, token, job, ctx);
      if (result === undefined) alive.push(b);
      else {
        results[row.job] = result;
        ctx.onRowDone?.(row.job, result);
      }
    });
    ctx.onStep?.(rows.length);
    if (ctx.onTokens !== undefined && alive.length > 0) ctx.onTokens(alive.map((b) => ({ index: (rows[b] as Row).job, tokens: (rows[b] as Row).tokens })));
    if (alive.length === 0) break;

    // Shrink the batch: drop finished rows, then columns that are padding in every live row.
    const live = alive.map((b) => rows[b] as Row);
    const dropColumns = Math.min(...live.map((r) => r.pad));
    if (alive.length < rows.length || dropColumns > 0) {
      cache = selectKvRows(cache, alive, dropColumns, room(cache));
      for (const r of live) r.pad -= dropColumns;
    }
    rows = live;

    const B = rows.length;
    const total = cache.length + 1;
    const ids = new BigInt64Array(B);
    const stepMask = new BigInt64Array(B * total);
    const stepPositions = new BigInt64Array(B);
    rows.forEach((row, b) => {
      ids[b] = BigInt(row.tokens[row.tokens.length - 1] as number);
      stepMask.fill(1n, b * total + row.pad, (b + 1) * total);
      stepPositions[b] = BigInt(row.nextPosition++);
    });
    const out = await decoder.step({ batch: B, seqLen: 1, inputIds: ids, attentionMask: stepMask, positionIds: stepPositions, past: cache });
    cache = out.present;
    logits = out.lastLogits;
  }
  return results;
}

/** Prefills left-padded prompts to `width` columns in one step. */
async function prefillChunk(decoder: DecoderModel, groups: readonly (readonly number[])[], width: number, padId: number, capacity: number): Promise<StepOutput> {
  const G = groups.length;
  const inputIds = new BigInt64Array(G * width).fill(BigInt(padId));
  const mask = new BigInt64Array(G * width);
  const positions = new BigInt64Array(G * width).fill(1n);
  groups.forEach((prompt, g) => {
    const pad = width - prompt.length;
    prompt.forEach((id, t) => {
      inputIds[g * width + pad + t] = BigInt(id);
      mask[g * width + pad + t] = 1n;
      positions[g * width + pad + t] = BigInt(t);
    });
  });
  return decoder.step({
    batch: G,
    seqLen: width,
    inputIds,
    attentionMask: mask,
    positionIds: positions,
    past: emptyKvCache(decoder.numLayers, G, decoder.numKeyValueHeads, decoder.headDim, capacity),
  });
}

function gatherLogits(logits: Float32Array, rows: readonly number[], vocab: number): Float32Array {
  const out = new Float32Array(rows.length * vocab);
  rows.forEach((r, i) => out.set(logits.subarray(r * vocab, (r + 1) * vocab), i * vocab));
  return out;
}

function finishIfDone(row: Row, token: number, job: RowJob, ctx: BatchContext): RowResult | undefined {
  const { params } = job;
  if (!params.ignoreEos && ctx.eosIds.has(token)) {
    return { tokenIds: row.tokens, finishReason: 'stop', text: ctx.decode(row.tokens.slice(0, -1)) };
  }
  if (params.stop.length > 0) {
    const text = findStop(row.tokens, params.stop, ctx.decode);
    if (text !== undefined) return { tokenIds: row.tokens, finishReason: 'stop', text };
  }
  if (row.tokens.length >= job.maxNewTokens) return { tokenIds: row.tokens, finishReason: 'length', text: ctx.decode(row.tokens) };
  return undefined;
}
