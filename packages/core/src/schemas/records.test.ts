import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../config/parse.ts';
import { checkpointPrefix } from '../keys.ts';
import { roundMetricsSchema } from './metrics.ts';
import { failureRecordSchema, roundManifestSchema, runStatusRecordSchema } from './records.ts';

describe('round manifest', () => {
  const manifest = {
    run_id: 'demo',
    round: 1,
    checkpoint_key: checkpointPrefix('demo', 1),
    shards: [
      { shard: 0, prompt_ids: ['p0', 'p1'] },
      { shard: 1, prompt_ids: ['p2'] },
    ],
    created_at: '2026-01-31T12:00:00.000Z',
    config: parseRunConfig({}),
  };
  it('accepts a full manifest carrying the resolved config', () => {
    expect(roundManifestSchema.parse(manifest).config.beta).toBe(0.001);
  });
  it('requires shard ids 0..n-1 in order and a timestamp', () => {
    expect(roundManifestSchema.safeParse({ ...manifest, shards: [{ shard: 1, prompt_ids: ['a'] }] }).success).toBe(false);
    expect(roundManifestSchema.safeParse({ ...manifest, created_at: 'yesterday' }).success).toBe(false);
  });
});

describe('status, failures, metrics', () => {
  it('validate their fields', () => {
    expect(runStatusRecordSchema.safeParse({ run_id: 'r', status: 'paused', updated_at: '2026-01-01T00:00:00Z' }).success).toBe(false);
    expect(failureRecordSchema.parse({ run_id: 'r', round: 0, stage: 'judge', shard: 1, reason: 'x', failed_at: '2026-01-01T00:00:00Z' }).shard).toBe(1);
    const entry = {
      step: 1,
      epoch: 0.1,
      loss: 1e4,
      'rewards/chosen': 0.1,
      'rewards/rejected': -0.1,
      'rewards/accuracies': 1,
      'rewards/margins': 0.2,
      'logps/chosen': -20,
      'logps/rejected': -30,
      grad_norm: 3,
      learning_rate: 1e-7,
      'train/tokens_per_s': 900,
    };
    expect(roundMetricsSchema.parse({ run_id: 'r', round: 0, train: { log_history: [entry] }, judge: { 'judge/chosen_probs': 0.8 } }).train?.log_history[0]?.['train/tokens_per_s']).toBe(900);
    expect(roundMetricsSchema.safeParse({ run_id: 'r', round: 0, train: { log_history: [{ ...entry, loss: Number.NaN }] } }).success).toBe(false);
    expect(roundMetricsSchema.safeParse({ run_id: 'r', round: 0, train: { log_history: [{ ...entry, 'rewards/accuracies': 2 }] } }).success).toBe(false);
  });
});
