// POST /v1/runs with evaluation prompts (issue 21), against the real emulator: where the prompts
// go, what the record and the view say, and the errors that name the field.
import { evalPromptsKey, parseJsonl, promptPoolRowSchema, promptsKey } from '@sppo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBodySchema, runCreatedSchema, runViewSchema } from '../api/schemas.ts';
import { startHarness, type Harness } from '../test-harness.ts';
import { readRunRecord } from './record.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

const PROMPTS = Array.from({ length: 10 }, (_, i) => ({ prompt_id: `q${i}`, prompt: `question ${i}` }));
const pool = async (key: string) => parseJsonl((await h.objects.getText(key)) ?? '', promptPoolRowSchema);

describe('evaluation prompts at creation', () => {
  it('eval_holdout moves N prompts out of the training pool into runs/{run}/eval/prompts.jsonl', async () => {
    const res = await h.call('POST', '/v1/runs', { body: { prompts: PROMPTS, num_iterations: 2, prompts_per_shard: 2, eval_holdout: 3 } });
    expect(res.status).toBe(201);
    const created = runCreatedSchema.parse(await res.json());
    expect(created).toMatchObject({ prompt_count: 7, eval_prompt_count: 3, shards_per_round: 2 });
    const train = await pool(promptsKey(created.run_id));
    const held = await pool(evalPromptsKey(created.run_id));
    expect(held).toHaveLength(3);
    expect(train.filter((p) => held.some((e) => e.prompt_id === p.prompt_id))).toEqual([]);
    expect([...train, ...held].map((p) => p.prompt_id).sort()).toEqual(PROMPTS.map((p) => p.prompt_id).sort());
    const record = await readRunRecord(h.deps.store, created.run_id);
    expect(record?.config).toMatchObject({ eval_holdout: 3, eval_prompts: { key: evalPromptsKey(created.run_id) }, prompts_per_iteration: 3 });
    expect(record?.eval_prompt_count).toBe(3);
    const view = runViewSchema.parse(await (await h.call('GET', `/v1/runs/${created.run_id}`)).json());
    expect(view.evaluation).toEqual({ enabled: true, prompts: 3, shards: 2, every: 1, table: [] });
    expect(view.rounds.map((r) => r.evaluation.phase)).toEqual(['waiting', 'waiting']);
  });

  it('eval_prompts inline: stored apart with ids e0, e1; a run without them has evaluation off', async () => {
    const created = runCreatedSchema.parse(await (await h.call('POST', '/v1/runs', { body: { prompts: PROMPTS, num_iterations: 1, eval_prompts: ['x?', { prompt_id: 'mine', prompt: 'y?' }] } })).json());
    expect((await pool(evalPromptsKey(created.run_id))).map((p) => p.prompt_id)).toEqual(['e0', 'mine']);
    expect(await pool(promptsKey(created.run_id))).toHaveLength(10);
    const plain = runCreatedSchema.parse(await (await h.call('POST', '/v1/runs', { body: { prompts: PROMPTS, num_iterations: 1 } })).json());
    expect(plain.eval_prompt_count).toBeUndefined();
    const view = runViewSchema.parse(await (await h.call('GET', `/v1/runs/${plain.run_id}`)).json());
    expect(view.evaluation).toMatchObject({ enabled: false, shards: 0, table: [] });
    expect(view.rounds[0]?.evaluation.phase).toBe('off');
  });

  it('refuses both sources, or a hold-out as big as the pool, naming eval_holdout', async () => {
    for (const body of [
      { prompts: PROMPTS, eval_holdout: 2, eval_prompts: ['x'] },
      { prompts: PROMPTS, eval_holdout: 10 },
    ]) {
      const res = await h.call('POST', '/v1/runs', { body });
      expect(res.status).toBe(400);
      const { error } = errorBodySchema.parse(await res.json());
      expect(error.details && 'issues' in error.details ? error.details.issues.map((i) => i.path) : []).toEqual(['eval_holdout']);
    }
  });
});
