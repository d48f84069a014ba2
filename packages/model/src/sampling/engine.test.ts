import { cp, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../tokenizer.ts';
import type { LoadedTokenizer } from '../tokenizer.ts';
import { openDecoder } from './decoder.ts';
import { createSamplingEngine, planSampleBatches, type SampleRow, type SamplingEngine } from './engine.ts';
import { emptyKvCache } from './kv-cache.ts';
import { argmax } from './logits.ts';
import { runBatch } from './batch.ts';
import { resolveSamplingParams } from './params.ts';
import { setGenerationEos, writeTinyCheckpoint } from './test-fixture.ts';
import { createWorkerSamplingEngine } from './worker-engine.ts';
import { REPLICA_WEIGHT_LIMIT, createParallelSamplingEngine, defaultReplicas, modelWeightBytes, splitRows } from './parallel-engine.ts';

let root: string;
let dir: string;
let engine: SamplingEngine;
let tokenizer: LoadedTokenizer;
const texts = ['hello world', 'the cat sat on the mat and looked at the', 'a', 'numbers 1 2 3 and more words here'];
let prompts: number[][];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sppo-sampling-'));
  dir = join(root, 'ckpt');
  await writeTinyCheckpoint(dir);
  engine = await createSamplingEngine({ modelDir: dir, intraOpNumThreads: 1 });
  tokenizer = await loadTokenizer(dir);
  prompts = texts.map((t) => tokenizer.encode(t));
});
afterAll(async () => {
  await engine.close();
  await rm(root, { recursive: true, force: true });
});

const greedy = { temperature: 0, maxNewTokens: 12, ignoreEos: true };
const sampled = { temperature: 1, topP: 0.95, maxNewTokens: 16, ignoreEos: true };

describe('greedy decoding', () => {
  it('equals argmax of a full forward pass without cache at every step', async () => {
    const [ours] = await engine.generate([{ prompt: prompts[1] as number[], seed: 0 }], greedy);
    const decoder = await openDecoder(join(dir, 'model.onnx'), { intraOpNumThreads: 1 });
    const ids = [...(prompts[1] as number[])];
    for (let step = 0; step < 12; step++) {
      const n = ids.length;
      const out = await decoder.step({
        batch: 1,
        seqLen: n,
        inputIds: BigInt64Array.from(ids, BigInt),
        attentionMask: new BigInt64Array(n).fill(1n),
        positionIds: BigInt64Array.from(ids.map((_, t) => BigInt(t))),
        past: emptyKvCache(decoder.numLayers, 1, decoder.numKeyValueHeads, decoder.headDim),
      });
      ids.push(argmax(out.lastLogits));
    }
    await decoder.close();
    expect(ours?.tokenIds).toEqual(ids.slice((prompts[1] as number[]).length));
  });

  it('a left-padded batch of different prompt lengths equals each prompt run alone', async () => {
    const batch = await engine.generate(prompts.map((p) => ({ prompt: p, seed: 0 })), greedy);
    for (const [i, p] of prompts.entries()) {
      const [alone] = await engine.generate([{ prompt: p, seed: 0 }], greedy);
      expect(batch[i]?.tokenIds).toEqual(alone?.tokenIds);
      expect(batch[i]?.finishReason).toBe('length');
    }
  });
});

describe('the shared-cache decoder (KV cache appended in place)', () => {
  it('is what our checkpoints decode with under kv_cache auto, and gives the same tokens as model.onnx for every row', async () => {
    expect(engine.info.kvCache).toBe('concat'); // the default
    const auto = await createSamplingEngine({ modelDir: dir, intraOpNumThreads: 1, kvCache: 'auto' });
    const concat = await createSamplingEngine({ modelDir: dir, intraOpNumThreads: 1, kvCache: 'concat' });
    const small = await createSamplingEngine({ modelDir: dir, intraOpNumThreads: 1, kvCache: 'shared', maxBatchSize: 3, prefillLogitsBytes: 1 });
    try {
      expect(auto.info.kvCache).toBe('shared');
      expect(concat.info.kvCache).toBe('concat');
      // Every prompt length (left padding), K = 3 seeds each, budgets that end rows at different
      // steps (rows leave the batch, padding columns are dropped), EOS honoured.
      const rows = prompts.flatMap((p, i) => [0, 1, 2].map((s) => ({ prompt: p, seed: 10 * i + s })));
      for (const params of [greedy, sampled, { temperature: 0.8, topK: 20, maxNewTokens: 9 }]) {
        const expected = await concat.generate(rows, params);
        expect(await auto.generate(rows, params)).toEqual(expected);
        expect(await small.generate(rows, params)).toEqual(expected);
      }
      // Calls merged into one batch with different budgets.
      const [a, b] = await Promise.all([auto.generate(rows.slice(0, 4), { ...sampled, maxNewTokens: 3 }), auto.generate(rows.slice(4), sampled)]);
      expect([...a, ...b]).toEqual([...(await concat.generate(rows.slice(0, 4), { ...sampled, maxNewTokens: 3 })), ...(await concat.generate(rows.slice(4), sampled))]);
    } finally {
      await auto.close();
      await concat.close();
      await small.close();
    }
  });

  it('rejects an unknown kv_cache mode, naming the valid ones', async () => {
    await expect(createSamplingEngine({ modelDir: dir, kvCache: 'paged' as never })).rejects.toMatchObject({ code: 'invalid_params', param: 'kv_cache', message: expect.stringMatching(/auto, shared, concat/) });
  });
});

describe('seeded sampling', () => {
  const rows = (seeds: number[], prompt = 0): SampleRow[] => seeds.map((seed) => ({ prompt: prompts[prompt] as number[], seed }));

  it('is deterministic across runs and engines', async () => {
    const first = await engine.generate(rows([0, 50, 100]), sampled);
    const again = await engine.generate(rows([0, 50, 100]), sampled);
    const other = await createSamplingEngine({ modelDir: dir, intraOpNumThreads: 2 });
    const third = await other.generate(rows([0, 50, 100]), sampled);
    await other.close();
    expect(again).toEqual(first);
    expect(third).toEqual(first);
  });

  it('gives a row the same text whatever else is in its batch', async () => {
    // The row under test has the shortest prompt, so it is left-padded in every mixed batch.
    const [alone] = await engine.generate(rows([50], 0), sampled);
    const mixed = await engine.generate([...rows([7, 9], 1), ...rows([50], 0), ...rows([1], 3), { prompt: texts[2] as string, seed: 50 }], sampled);
    expect(mixed[2]).toEqual(alone);
    // Other batch sizes and splits, and one prompt per prefill chunk.
    const small = await createSamplingEngine({ modelDir: dir, intraOpNumThreads: 1, maxBatchSize: 2, prefillLogitsBytes: 1 });
    const split = await small.generate([...rows([11, 12, 13], 3), ...rows([50], 0)], sampled);
    await small.close();
    expect(split[3]).toEqual(alone);
    // Calls in the same tick share a batch: the longer rows finish after 3 tokens, the batch
    // shrinks and the padding columns of the remaining row are dropped.
    const [, [shared]] = await Promise.all([engine.generate(rows([1, 2, 3], 1), { ...sampled, maxNewTokens: 3 }), engine.generate(rows([50], 0), sampled)]);
    expect(shared).toEqual(alone);
  });

  it('draws distinct samples for distinct seeds and identical ones for equal seeds', async () => {
    const out = await engine.generate(rows([0, 50, 100, 150, 200, 50]), sampled);
    expect(new Set(out.slice(0, 5).map((r) => r.text)).size).toBe(5);
    expect(out[5]).toEqual(out[1]);
  });

  it('merges concurrent calls without changing their results', async () => {
    const a = rows([1, 2], 0);
    const b = rows([3], 1);
    const [ra, rb] = await Promise.all([engine.generate(a, sampled), engine.generate(b, { ...sampled, temperature: 0 })]);
    expect(ra).toEqual(await engine.generate(a, sampled));
    expect(rb).toEqual(await engine.generate(b, { ...sampled, temperature: 0 }));
  });

  it('reports progress per finished row', async () => {
    const seen: number[] = [];
    await engine.generate(rows([1, 2, 3]), sampled, { onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe('stopping', () => {
  it('stops at a stop string and cuts the text before it', async () => {
    const [full] = await engine.generate([{ prompt: prompts[0] as number[], seed: 5 }], { ...sampled, maxNewTokens: 40 });
    const text = full?.text ?? '';
    const stop = text.slice(10, 13);
    expect(stop.length).toBe(3);
    const [cut] = await engine.generate([{ prompt: prompts[0] as number[], seed: 5 }], { ...sampled, maxNewTokens: 40, stop: [stop] });
    expect(cut?.finishReason).toBe('stop');
    expect(cut?.text).toBe(text.slice(0, text.indexOf(stop)));
    expect(cut?.completionTokens).toBeLessThan(full?.completionTokens ?? 0);
    expect(cut?.tokenIds).toEqual(full?.tokenIds.slice(0, cut?.tokenIds.length));
  });

  it('stops on an EOS id from generation_config.json, without its text', async () => {
    const [full] = await engine.generate([{ prompt: prompts[0] as number[], seed: 0 }], greedy);
    const eos = full?.tokenIds[2] as number;
    const eosDir = join(root, 'eos');
    await cp(dir, eosDir, { recursive: true });
    await setGenerationEos(eosDir, [1, eos]);
    const eosEngine = await createSamplingEngine({ modelDir: eosDir, intraOpNumThreads: 1 });
    const [out] = await eosEngine.generate([{ prompt: prompts[0] as number[], seed: 0 }], { ...greedy, ignoreEos: false });
    const [ignored] = await eosEngine.generate([{ prompt: prompts[0] as number[], seed: 0 }], greedy);
    await eosEngine.close();
    const stopAt = full?.tokenIds.indexOf(eos) as number;
    expect(out?.finishReason).toBe('stop');
    expect(out?.tokenIds).toEqual(full?.tokenIds.slice(0, stopAt + 1));
    expect(out?.text).toBe(tokenizer.decode(full?.tokenIds.slice(0, stopAt) ?? [], { skipSpecialTokens: true }));
    expect(ignored?.tokenIds).toEqual(full?.tokenIds);
  });

  it('ends at max_new_tokens with finish_reason length', async () => {
    const [out] = await engine.generate([{ prompt: 'hello', seed: 1 }], { ...sampled, maxNewTokens: 5 });
    expect(out).toMatchObject({ finishReason: 'length', completionTokens: 5 });
    expect(out?.promptTokens).toBe(tokenizer.encode('hello', { addSpecialTokens: false }).length);
  });
});

describe('bad input', () => {
  it('refuses a prompt that fills the context window and caps responses at its end', async () => {
    const smallDir = join(root, 'ctx');
    await writeTinyCheckpoint(smallDir, { maxPositionEmbeddings: 24 });
    const small = await createSamplingEngine({ modelDir: smallDir, intraOpNumThreads: 1 });
    const long = Array.from({ length: 24 }, (_, i) => 10 + i);
    await expect(small.generate([{ prompt: long, seed: 0 }], greedy)).rejects.toMatchObject({ code: 'context_length_exceeded', param: 'prompt' });
    const [capped] = await small.generate([{ prompt: long.slice(0, 20), seed: 0 }], { ...greedy, maxNewTokens: 50 });
    await small.close();
    expect(capped).toMatchObject({ finishReason: 'length', completionTokens: 4 });
  });

  it('rejects invalid parameters, seeds and token ids with the field at fault', async () => {
    await expect(engine.generate([{ prompt: 'x', seed: 0 }], { temperature: -1 })).rejects.toMatchObject({ code: 'invalid_params', param: 'temperature' });
    await expect(engine.generate([{ prompt: 'x', seed: -3 }])).rejects.toMatchObject({ code: 'invalid_params', param: 'rows[0].seed' });
    await expect(engine.generate([{ prompt: [5, 99999], seed: 0 }])).rejects.toMatchObject({ code: 'invalid_prompt' });
    await expect(engine.generate([{ prompt: '', seed: 0 }])).rejects.toMatchObject({ code: 'invalid_prompt' });
  });

  it('names a missing model folder and an unknown execution provider', async () => {
    await expect(createSamplingEngine({ modelDir: join(root, 'nope') })).rejects.toMatchObject({ code: 'invalid_model' });
    await expect(createSamplingEngine({ modelDir: dir, executionProvider: 'tpu' })).rejects.toThrow(/Available: .*cpu/);
  });
});

describe('worker-thread engine', () => {
  it('gives the same results as the in-thread engine and rebuilds typed errors', async () => {
    const worker = await createWorkerSamplingEngine({ modelDir: dir, intraOpNumThreads: 1 });
    try {
      expect(worker.info).toEqual(engine.info);
      const rows = [0, 50].map((seed) => ({ prompt: prompts[3] as number[], seed }));
      expect(await worker.generate(rows, sampled)).toEqual(await engine.generate(rows, sampled));
      await expect(worker.generate(rows, { topP: 2 })).rejects.toMatchObject({ code: 'invalid_params', param: 'top_p' });
    } finally {
      await worker.close();
    }
    await expect(worker.generate([{ prompt: 'x', seed: 0 }])).rejects.toMatchObject({ code: 'engine_closed' });
  });
});

describe('parallel engine', () => {
  it('splits rows over replicas without changing any result, and numbers rows in errors as the caller sent them', async () => {
    const parallel = await createParallelSamplingEngine({ modelDir: dir, replicas: 3 });
    try {
      const rows = [...[0, 50, 100].map((seed) => ({ prompt: prompts[1] as number[], seed })), { prompt: prompts[0] as number[], seed: 7 }, { prompt: prompts[1] as number[], seed: 9 }];
      expect(await parallel.generate(rows, sampled)).toEqual(await engine.generate(rows, sampled));
      const seen: number[] = [];
      await parallel.generate(rows, sampled, { onProgress: (p) => seen.push(p.done) });
      expect(seen.at(-1)).toBe(5);
      const bad = [...rows, { prompt: [1, 99999], seed: 0 }];
      await expect(parallel.generate(bad, sampled)).rejects.toThrow(/row 5: the prompt has token id 99999/);
    } finally {
      await parallel.close();
    }
  });

  it('groups rows of a prompt before cutting them into near-equal chunks', () => {
    const rows = ['a', 'b', 'a', 'c', 'b', 'a'].map((prompt, seed) => ({ prompt, seed }));
    expect(splitRows(rows, 2)).toEqual([[0, 2, 5], [1, 4, 3]]);
    expect(splitRows(rows, 10)).toHaveLength(6);
  });

  it('runs one replica for a model whose weights pass REPLICA_WEIGHT_LIMIT, one per core below it', async () => {
    const onnxBytes = (await stat(join(dir, 'model.onnx'))).size;
    expect(await modelWeightBytes(dir)).toBe(onnxBytes);
    await writeFile(join(dir, 'model.onnx_data'), new Uint8Array(1000));
    expect(await modelWeightBytes(dir)).toBe(onnxBytes + 1000);
    await rm(join(dir, 'model.onnx_data'));
    expect(defaultReplicas('cpu', onnxBytes)).toBe(Math.min(16, availableParallelism()));
    expect(defaultReplicas('cpu', REPLICA_WEIGHT_LIMIT + 1)).toBe(1);
    expect(defaultReplicas('webgpu', 0)).toBe(1);
  });
});

describe('text streaming', () => {
  /** Runs `generate` with onText and returns each row's concatenated deltas and finish reasons. */
  async function streamed(e: SamplingEngine, rows: SampleRow[], params: Parameters<SamplingEngine['generate']>[1]) {
    const text = rows.map(() => '');
    const finishes = rows.map(() => [] as string[]);
    let events = 0;
    const results = await e.generate(rows, params, {
      onText: (deltas) => {
        events++;
        for (const d of deltas) {
          expect(finishes[d.row]).toEqual([]); // nothing after a row's finish
          text[d.row] += d.text;
          if (d.finishReason !== undefined) finishes[d.row]?.push(d.finishReason);
        }
      },
    });
    return { results, text, finishes, events };
  }

  it('streams deltas that add up to each row\'s text, in-thread, in a worker and over replicas', async () => {
    const rows = prompts.flatMap((prompt) => [1, 2].map((seed) => ({ prompt, seed })));
    const params = { ...sampled, maxNewTokens: 20 };
    const worker = await createWorkerSamplingEngine({ modelDir: dir, intraOpNumThreads: 1 });
    const parallel = await createParallelSamplingEngine({ modelDir: dir, replicas: 2, intraOpNumThreads: 1 });
    try {
      for (const e of [engine, worker, parallel]) {
        const { results, text, finishes, events } = await streamed(e, rows, params);
        expect(text).toEqual(results.map((r) => r.text));
        expect(finishes).toEqual(results.map((r) => [r.finishReason]));
        expect(events).toBeGreaterThan(rows.length); // incremental, not only the finishes
      }
    } finally {
      await worker.close();
      await parallel.close();
    }
  });

  it('never streams text that a stop string later cuts', async () => {
    const [full] = await engine.generate([{ prompt: prompts[0] as number[], seed: 5 }], { ...sampled, maxNewTokens: 40 });
    const stop = (full?.text ?? '').slice(10, 13);
    const { results, text } = await streamed(engine, [{ prompt: prompts[0] as number[], seed: 5 }], { ...sampled, maxNewTokens: 40, stop: [stop] });
    expect(results[0]?.finishReason).toBe('stop');
    expect(text[0]).toBe(results[0]?.text);
    expect(text[0]?.includes(stop)).toBe(false);
  });
});

describe('cancellation', () => {
  it('drops a cancelled row from its batch at the next step; the other rows are unchanged', async () => {
    const decoder = await openDecoder(join(dir, 'model.onnx'), { intraOpNumThreads: 1 });
    const widths: number[] = [];
    // The real decoder, with each step's batch size recorded.
    const recording = { ...decoder, step: (input: Parameters<typeof decoder.step>[0]) => (widths.push(input.batch), decoder.step(input)) };
    const params = resolveSamplingParams({ ...sampled, maxNewTokens: 12 });
    const jobs = [0, 1].map((i) => ({ promptIds: prompts[i] as number[], seed: 3 + i, params, maxNewTokens: 12 }));
    const decode = (ids: readonly number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
    const ctx = { padId: tokenizer.padId, eosIds: new Set<number>(), decode };
    let step = 0;
    const results = await runBatch(recording, jobs, { ...ctx, onStep: () => step++, isCancelled: (i) => i === 0 && step >= 4 });
    const [alone] = await runBatch(decoder, jobs.slice(1), ctx);
    await decoder.close();
    expect(results[0]).toBeUndefined();
    expect(results[1]).toEqual(alone);
    // Prefill (2 prompts), 4 decoding steps with both rows, then row 1 alone.
    expect(widths).toEqual([2, 2, 2, 2, 2, ...new Array<number>(widths.length - 5).fill(1)]);
    expect(widths.length).toBe(12);
  });

  it('rejects a cancelled call at once, keeps the rest of its batch, in-thread, in a worker and over replicas', async () => {
    const worker = await createWorkerSamplingEngine({ modelDir: dir, intraOpNumThreads: 1 });
    const parallel = await createParallelSamplingEngine({ modelDir: dir, replicas: 2, intraOpNumThreads: 1 });
    try {
      for (const e of [engine, worker, parallel]) {
        const controller = new AbortController();
        let textAfterCancel = 0;
        const long = e.generate([{ prompt: prompts[1] as number[], seed: 1 }], { ...sampled, maxNewTokens: 200 }, {
          signal: controller.signal,
          onText: () => {
            if (controller.signal.aborted) textAfterCancel++;
            else controller.abort();
          },
        });
        const other = e.generate([{ prompt: prompts[0] as number[], seed: 2 }], { ...sampled, maxNewTokens: 10 });
        await expect(long).rejects.toMatchObject({ code: 'cancelled' });
        const [mine] = await other;
        const [alone] = await e.generate([{ prompt: prompts[0] as number[], seed: 2 }], { ...sampled, maxNewTokens: 10 });
        expect(mine).toEqual(alone);
        expect(textAfterCancel).toBe(0);
        // An already aborted signal is refused before any work.
        await expect(e.generate([{ prompt: prompts[0] as number[], seed: 2 }], sampled, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'cancelled' });
      }
    } finally {
      await worker.close();
      await parallel.close();
    }
  });
});

describe('planSampleBatches', () => {
  it('keeps a prompt\'s rows together, shortest prompts first, at most maxRows per batch', () => {
    const items = [[1, 2, 3], [1], [1, 2, 3], [4, 5], [1]];
    const batches = planSampleBatches(items, (x) => x, 3, { maxPaddingFraction: Infinity });
    expect(batches).toEqual([[[1], [1], [4, 5]], [[1, 2, 3], [1, 2, 3]]]);
  });

  it('cuts a batch where a longer prompt would make padding more than 10% of its decoding columns', () => {
    const short = [1, 2];
    const long = Array.from({ length: 10 }, (_, i) => i);
    const items = [long, short, short];
    // No new tokens: two short rows padded to 10 columns would be 16 of 30 columns of padding.
    expect(planSampleBatches(items, (x) => x, 8)).toEqual([[short, short], [long]]);
    // 200 new tokens each: the same 16 padded columns are under 10% of the ~330 decoding columns.
    expect(planSampleBatches(items, (x) => x, 8, { newTokensOf: () => 200 })).toEqual([[short, short, long]]);
    // The cut can be switched off.
    expect(planSampleBatches(items, (x) => x, 8, { maxPaddingFraction: Infinity })).toEqual([[short, short, long]]);
  });
});
