import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGenerationModel } from './generation.ts';
import { buildLogprobGraph } from './sequence-logps.ts';
import { int64, logpsThroughCache, padBatch, paramFeeds, randomRows, randomWeights, runModel, tinyConfig, toFloat32, values, type PaddedBatch } from './test-utils.ts';

const cfg = tinyConfig({ tie_word_embeddings: true });
const weights = toFloat32(randomWeights(cfg, 21));
let session: ort.InferenceSession;

beforeAll(async () => {
  session = await ort.InferenceSession.create(buildGenerationModel(cfg, weights), { intraOpNumThreads: 1 });
});
afterAll(async () => {
  await session.release();
});

/** The batch through the generation graph, token by token (test-utils logpsThroughCache). */
async function logpsThroughCacheSteps(batch: PaddedBatch, prefill: number): Promise<number[]> {
  const B = batch.inputIds.length;
  return logpsThroughCache(session, cfg, batch, prefill, (present, end) => expect(present.dims).toEqual([B, cfg.num_key_value_heads, end, cfg.head_dim]));
}

async function logpsThroughGraph2(batch: PaddedBatch): Promise<number[]> {
  const model = buildLogprobGraph({ config: cfg, batchSize: batch.inputIds.length, sequenceLength: batch.inputIds[0]?.length ?? 0 });
  const out = await runModel(model, {
    ...paramFeeds(cfg, weights, 'float32'),
    input_ids: int64(batch.inputIds),
    attention_mask: int64(batch.attentionMask),
    response_mask: int64(batch.responseMask),
  }, { level: 'all' });
  return values(out.logps);
}

function expectClose(a: number[], b: number[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - (b[i] as number))).toBeLessThan(2e-5 * Math.max(1, Math.abs(v))));
}

describe('log-probs: graph (2) in one pass = graph (1) token by token with the KV cache', () => {
  it('left-padded batch of different lengths (prompt prefill, then one token per step)', async () => {
    const batch = padBatch(randomRows(cfg.vocab_size, [[2, 5], [6, 3], [4, 1]], 31), 10, { side: 'left' });
    const cached = await logpsThroughCacheSteps(batch, 4);
    const full = await logpsThroughGraph2(batch);
    expectClose(cached, full);
    expect(full.every((v) => v < -1)).toBe(true);
  });

  it('generator layout: prompts left-padded to one column, responses right-padded', async () => {
    const rows = randomRows(cfg.vocab_size, [[3, 4], [5, 2], [1, 6]], 41);
    const P = 5;
    const R = 6;
    const batch: PaddedBatch = { inputIds: [], attentionMask: [], responseMask: [] };
    for (const { prompt, response } of rows) {
      const lp = P - prompt.length;
      const rp = R - response.length;
      batch.inputIds.push([...new Array<number>(lp).fill(0), ...prompt, ...response, ...new Array<number>(rp).fill(0)]);
      batch.attentionMask.push([...new Array<number>(lp).fill(0), ...prompt.map(() => 1), ...response.map(() => 1), ...new Array<number>(rp).fill(0)]);
      batch.responseMask.push([...new Array<number>(P).fill(0), ...response.map(() => 1), ...new Array<number>(rp).fill(0)]);
    }
    expectClose(await logpsThroughCacheSteps(batch, P), await logpsThroughGraph2(batch));
  });

  it('a padded row scores the same as the same row alone (padding is invisible)', async () => {
    const rows = randomRows(cfg.vocab_size, [[3, 4], [1, 2]], 51);
    const padded = await logpsThroughGraph2(padBatch(rows, 9, { side: 'left' }));
    const alone = await logpsThroughGraph2(padBatch(rows.slice(0, 1), 7, { side: 'left' }));
    expectClose([padded[0] as number], alone);
  });
});
