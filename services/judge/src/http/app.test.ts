import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateScores, preferenceMatrix, sigmoid, winRates } from '@sppo/core';
import { createLengthJudge, createRpsJudge, createRewardJudge } from '@sppo/model';
import { createJudgeApp } from './app.ts';
import { startJudgeServer, type JudgeServer } from './server.ts';

const rps = createJudgeApp({ judge: createRpsJudge() });
const post = async (app: ReturnType<typeof createJudgeApp>, path: string, body: unknown) => {
  const res = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
};

describe('POST /v1/compare', () => {
  it('returns both orders and the position-debiased P(a beats b) per pair', async () => {
    // A judge with a position bias: +0.5 for whichever response comes first.
    const biased = createRewardJudge({ name: 'biased', reward: (_p, r) => r.length });
    const app = createJudgeApp({ judge: { name: 'biased', compare: async (batch) => (await biased.compare(batch)).map((z) => z + 0.5) } });
    const res = await post(app, '/v1/compare', { pairs: [{ prompt: 'p', response_a: 'longer', response_b: 'short' }, { prompt: 'p', response_a: 'ab', response_b: 'abcd' }] });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual([
      { index: 0, logit_ab: 1.5, logit_ba: -0.5, probability_a: sigmoid(2), winner: 'a' },
      { index: 1, logit_ab: -1.5, logit_ba: 2.5, probability_a: sigmoid(-4), winner: 'b' },
    ]);
  });
});

describe('POST /v1/rank', () => {
  it('gives the judge service\'s matrix, PairRM scores, ranks and the SPPO win rates', async () => {
    const items = [
      { prompt: 'choose', responses: ['rock hard', 'a paper sheet', 'scissors cut'] },
      { prompt: 'again', responses: ['paper', 'rock', 'rock'] },
    ];
    const res = await post(rps, '/v1/rank', { items, win_rate_estimator: 'exclude_self' });
    expect(res.status).toBe(200);
    // Rock-paper-scissors: every response wins once and loses once, so all tie.
    const cyclic = [[0, -2, 2], [2, 0, -2], [-2, 2, 0]];
    expect(res.json.data[0]).toMatchObject({ index: 0, comparisons: cyclic, scores: [0, 0, 0], ranks: [1, 1, 1], win_rates: [0.5, 0.5, 0.5] });
    const c = [[0, 2, 2], [-2, 0, 0], [-2, 0, 0]];
    const scores = aggregateScores(c);
    expect(res.json.data[1]).toEqual({ index: 1, comparisons: c, scores, ranks: [1, 2, 2], win_rates: winRates(preferenceMatrix(c, 'official'), 'exclude_self') });
    expect(res.json).toMatchObject({ model: 'rule:rps', score_aggregation: 'official', win_rate_estimator: 'exclude_self' });
  });
});

describe('errors', () => {
  it('names the field and its valid values, refuses another model and unknown routes', async () => {
    const bad = await post(rps, '/v1/rank', { items: [{ prompt: 'p', responses: ['only one'] }], score_aggregation: 'mean' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param: 'items.0.responses' });
    expect(bad.json.error.message).toMatch(/K >= 2.*score_aggregation: must be one of official, direct/s);
    expect((await post(rps, '/v1/compare', '{nope')).json.error.code).toBe('invalid_json');
    expect((await post(rps, '/v1/compare', { pairs: [] })).json.error.param).toBe('pairs');
    const other = await post(rps, '/v1/compare', { model: 'gpt-4', pairs: [{ prompt: 'p', response_a: 'a', response_b: 'b' }] });
    expect(other.status).toBe(404);
    expect(other.json.error.code).toBe('model_not_found');
    const small = createJudgeApp({ judge: createLengthJudge(), maxComparisons: 10 });
    const tooMany = await post(small, '/v1/rank', { items: [{ prompt: 'p', responses: ['a', 'b', 'c', 'd'] }] });
    expect(tooMany.json.error).toMatchObject({ code: 'too_many_comparisons', param: 'items' });
    const res = await rps.request('/v1/embeddings', { method: 'POST' });
    expect(res.status).toBe(404);
  });

  it('answers a failing judge with a 500 in the same shape', async () => {
    const app = createJudgeApp({ judge: { name: 'broken', compare: async () => Promise.reject(new Error('session lost')) } });
    const res = await post(app, '/v1/compare', { pairs: [{ prompt: 'p', response_a: 'a', response_b: 'b' }] });
    expect(res.status).toBe(500);
    expect(res.json.error).toMatchObject({ type: 'server_error', code: 'internal_error' });
    expect(res.json.error.message).toMatch(/session lost/);
  });
});

describe('over real HTTP', () => {
  let server: JudgeServer;
  beforeAll(async () => {
    server = await startJudgeServer({ judge: createLengthJudge(), modelName: 'length' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves the models list and a comparison on a local port', async () => {
    const models = (await (await fetch(`${server.baseUrl}/models`)).json()) as Record<string, unknown>;
    expect(models).toEqual({ object: 'list', data: [{ id: 'length', object: 'model', owned_by: 'sppo' }] });
    const res = await fetch(`${server.baseUrl}/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'length', pairs: [{ prompt: 'p', response_a: 'a much longer answer', response_b: 'short' }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { winner: string }[] }).data[0]?.winner).toBe('a');
  });
});
