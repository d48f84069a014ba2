// The routes the dashboard needs, through app.request() against the real emulator: a round's
// samples paged from its triplet shards, who a key is (/v1/me), the run list's round, stage, model
// and loss type, and each round's timings from the listing.
import { buildTriplets, checkpointCompleteKey, generationShardKey, toJsonl, tripletShardKey } from '@sppo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBodySchema, runCreatedSchema, runListSchema, runViewSchema, samplePageSchema, sessionSchema } from '../api/schemas.ts';
import { handleEvent } from '../automation/handle-event.ts';
import { startHarness, type Harness } from '../test-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

/** 12 prompts, 2 rounds: 6 a round in 3 shards of 2. */
async function create(tenant: 'acme' | 'globex' = 'acme') {
  const prompts = Array.from({ length: 12 }, (_, i) => `q${i}`);
  const res = await h.call('POST', '/v1/runs', { tenant, body: { prompts, num_iterations: 2, prompts_per_shard: 2, loss_type: 'ipo', model_name_or_path: 'base-model' } });
  expect(res.status).toBe(201);
  return runCreatedSchema.parse(await res.json()).run_id;
}

/** Pair rows as the judge writes them (core's buildTriplets), prompt ids `{shard}-{i}`. */
function tripletRows(shard: number, count: number): string {
  const C = [
    [0, 0.9, 0.2],
    [0.1, 0, 0.4],
    [0.8, 0.6, 0],
  ];
  return toJsonl(Array.from({ length: count }, (_, i) => buildTriplets({ promptId: `${shard}-${i}`, prompt: `<b>prompt ${shard}-${i}</b>`, responses: ['r0', 'r1', 'r2'], C, aggregation: 'official', estimator: 'include_self', selection: 'extremes' })).flat());
}

describe('GET /v1/runs/{id}/rounds/{t}/samples', () => {
  it('pages through every shard in order, with each response\'s win rate and the chosen and rejected index', async () => {
    const runId = await create();
    // shard 1 is not judged yet: skipped, and the pages go on with shard 2
    await h.objects.put(tripletShardKey(runId, 0, 0), tripletRows(0, 2));
    await h.objects.put(tripletShardKey(runId, 0, 2), tripletRows(2, 2));
    const all: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (let page = 0; page < 5; page++) {
      pages += 1;
      const res = await h.call('GET', `/v1/runs/${runId}/rounds/0/samples?limit=3${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      expect(res.status).toBe(200);
      const body = samplePageSchema.parse(await res.json());
      all.push(...body.samples.map((s) => `${s.shard}:${s.line}:${s.row.prompt_id}`));
      for (const sample of body.samples) {
        expect(sample.win_rates).toHaveLength(3);
        // s_i = mean_j(C_ij - C_ji) = (0.07, -0.33, 0.27): response 2 is chosen, response 1 rejected
        expect(sample.chosen_index).toBe(2);
        expect(sample.rejected_index).toBe(1);
        expect(sample.row.prompt).toMatch(/^<b>prompt/); // stored text, as is: the page escapes it
        expect('chosen' in sample.row && sample.row.chosen_probs_win).toBeCloseTo(sample.win_rates[2] ?? -1, 12);
      }
      cursor = body.next_cursor;
      if (cursor === undefined) break;
    }
    expect(all).toEqual(['0:1:0-0', '0:2:0-1', '2:1:2-0', '2:2:2-1']);
    expect(pages).toBe(2);
  });

  it('answers 404 for another tenant, a round past the last, and 400 for a bad cursor or limit', async () => {
    const runId = await create();
    const foreign = await h.call('GET', `/v1/runs/${runId}/rounds/0/samples`, { tenant: 'globex' });
    expect(foreign.status).toBe(404);
    expect((await h.call('GET', `/v1/runs/${runId}/rounds/2/samples`)).status).toBe(404);
    for (const query of ['cursor=x', 'cursor=1', 'limit=0', 'limit=51', 'other=1']) {
      const res = await h.call('GET', `/v1/runs/${runId}/rounds/0/samples?${query}`);
      expect(res.status, query).toBe(400);
      expect(errorBodySchema.parse(await res.json()).error.code).toBe('invalid_request');
    }
    const empty = samplePageSchema.parse(await (await h.call('GET', `/v1/runs/${runId}/rounds/0/samples`)).json());
    expect(empty).toEqual({ run_id: runId, round: 0, samples: [] });
  });
});

describe('the dashboard\'s other reads', () => {
  it('GET /v1/me names the key\'s tenant; a wrong key is 401', async () => {
    expect(sessionSchema.parse(await (await h.call('GET', '/v1/me', { tenant: 'globex' })).json())).toEqual({ tenant: 'globex' });
    expect((await h.call('GET', '/v1/me', { tenant: null, headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('lists runs with their current round, stage, model and loss type', async () => {
    const runId = await create();
    await handleEvent({ type: 'run.created', run_id: runId }, h.automation);
    const list = runListSchema.parse(await (await h.call('GET', '/v1/runs?limit=100')).json());
    expect(list.runs.find((r) => r.run_id === runId)).toMatchObject({ status: 'running', current_round: 0, stage: 'generating', num_iterations: 2, model_name_or_path: 'base-model', loss_type: 'ipo' });
  });

  it("times each round's stages from the modification times of its objects", async () => {
    const runId = await create();
    await handleEvent({ type: 'run.created', run_id: runId }, h.automation);
    let view = runViewSchema.parse(await (await h.call('GET', `/v1/runs/${runId}`)).json());
    expect(view.rounds[0]?.timings.started_at).toMatch(/^\d{4}-/);
    expect(view.rounds[0]?.timings.generated_at).toBeUndefined();
    for (const shard of [0, 1, 2]) {
      await h.objects.put(generationShardKey(runId, 0, shard), '{}\n');
      await h.objects.put(tripletShardKey(runId, 0, shard), tripletRows(shard, 1));
    }
    await h.objects.put(checkpointCompleteKey(runId, 1), '{"files":[]}');
    view = runViewSchema.parse(await (await h.call('GET', `/v1/runs/${runId}`)).json());
    const timings = view.rounds[0]?.timings ?? {};
    expect(Object.keys(timings).sort()).toEqual(['generate_s', 'generated_at', 'judge_s', 'judged_at', 'started_at', 'total_s', 'train_s', 'trained_at']);
    expect(timings.total_s).toBeGreaterThanOrEqual(0);
    expect(view.rounds[1]?.timings).toEqual({});
  });
});
