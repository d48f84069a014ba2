import { describe, expect, it } from 'vitest';
import { InvalidIdError } from './errors.ts';
import {
  checkpointCompleteKey,
  checkpointFileKey,
  checkpointPrefix,
  enqueuedMarkerKey,
  failureKey,
  generationShardKey,
  judgeMetricsKey,
  manifestKey,
  parseKey,
  promptsKey,
  roundMetricsKey,
  runConfigKey,
  runStatusKey,
  runSummaryKey,
  trainStateKey,
  tripletShardKey,
} from './keys.ts';

describe('key layout (ARCHITECTURE 3.2)', () => {
  it('builds the documented keys', () => {
    expect(runConfigKey('demo')).toBe('runs/demo/run.json');
    expect(runStatusKey('demo')).toBe('runs/demo/status.json');
    expect(runSummaryKey('demo')).toBe('runs/demo/summary.json');
    expect(judgeMetricsKey('demo', 1, 7)).toBe('runs/demo/round=1/judge-metrics/shard=7.json');
    expect(promptsKey('demo')).toBe('runs/demo/prompts/prompts.jsonl');
    expect(manifestKey('demo', 2)).toBe('runs/demo/round=2/_manifest.json');
    expect(generationShardKey('demo', 0, 7)).toBe('runs/demo/round=0/generations/shard=7.jsonl');
    expect(tripletShardKey('demo', 0, 7)).toBe('runs/demo/round=0/triplets/shard=7.jsonl');
    expect(roundMetricsKey('demo', 1)).toBe('runs/demo/round=1/metrics.json');
    expect(checkpointPrefix('demo', 0)).toBe('runs/demo/checkpoints/0/');
    expect(checkpointFileKey('demo', 3, 'model.safetensors')).toBe('runs/demo/checkpoints/3/model.safetensors');
    expect(checkpointCompleteKey('demo', 3)).toBe('runs/demo/checkpoints/3/_COMPLETE');
    expect(trainStateKey('demo', 1)).toBe('runs/demo/round=1/train-state/state.json');
    expect(enqueuedMarkerKey('demo', 1, 'judge', 4)).toBe('runs/demo/round=1/_enqueued/judge-4');
    expect(enqueuedMarkerKey('demo', 1, 'train')).toBe('runs/demo/round=1/_enqueued/train');
    expect(failureKey('demo', 'judge', 1, 4)).toBe('runs/demo/failures/judge-1-4.json');
    expect(failureKey('demo', 'train', 1)).toBe('runs/demo/failures/train-1.json');
  });

  it('throws InvalidIdError on anything that is not a validated id', () => {
    const bad: (() => string)[] = [
      () => runConfigKey('../x'),
      () => runConfigKey('Demo'),
      () => runConfigKey(''),
      () => runConfigKey('a'.repeat(64)),
      () => manifestKey('demo', -1),
      () => manifestKey('demo', 1.5),
      () => manifestKey('demo', Number.NaN),
      () => generationShardKey('demo', 0, 100_000),
      () => checkpointFileKey('demo', 0, '../run.json'),
      () => checkpointFileKey('demo', 0, 'a/b'),
      () => checkpointFileKey('demo', 0, '.hidden'),
      () => trainStateKey('demo', 0, 'x..y'),
      () => enqueuedMarkerKey('demo', 0, 'judge'),
      () => runSummaryKey('../x'),
      () => judgeMetricsKey('demo', 0, -1),
      () => judgeMetricsKey('demo', 0, 100_000),
    ];
    for (const build of bad) expect(build).toThrow(InvalidIdError);
    expect(() => runConfigKey('UP')).toThrow(/a-z, 0-9/);
  });

  it('parseKey inverts every key function and rejects foreign keys', () => {
    const cases: [string, unknown][] = [
      [runConfigKey('r-1'), { kind: 'run_config', run: 'r-1' }],
      [runStatusKey('r-1'), { kind: 'run_status', run: 'r-1' }],
      [runSummaryKey('r-1'), { kind: 'run_summary', run: 'r-1' }],
      [judgeMetricsKey('r-1', 2, 30), { kind: 'judge_metrics', run: 'r-1', round: 2, shard: 30 }],
      [promptsKey('r-1'), { kind: 'prompts', run: 'r-1' }],
      [manifestKey('r-1', 12), { kind: 'manifest', run: 'r-1', round: 12 }],
      [generationShardKey('r-1', 2, 30), { kind: 'generation_shard', run: 'r-1', round: 2, shard: 30 }],
      [tripletShardKey('r-1', 2, 30), { kind: 'triplet_shard', run: 'r-1', round: 2, shard: 30 }],
      [roundMetricsKey('r-1', 2), { kind: 'round_metrics', run: 'r-1', round: 2 }],
      [trainStateKey('r-1', 2, 'optimizer.safetensors'), { kind: 'train_state', run: 'r-1', round: 2, file: 'optimizer.safetensors' }],
      [enqueuedMarkerKey('r-1', 2, 'judge', 3), { kind: 'enqueued_marker', run: 'r-1', round: 2, stage: 'judge', shard: 3 }],
      [enqueuedMarkerKey('r-1', 2, 'train'), { kind: 'enqueued_marker', run: 'r-1', round: 2, stage: 'train' }],
      [checkpointFileKey('r-1', 3, 'config.json'), { kind: 'checkpoint_file', run: 'r-1', round: 3, file: 'config.json' }],
      [checkpointCompleteKey('r-1', 3), { kind: 'checkpoint_complete', run: 'r-1', round: 3 }],
      [failureKey('r-1', 'generate', 0, 5), { kind: 'failure', run: 'r-1', stage: 'generate', round: 0, shard: 5 }],
      [failureKey('r-1', 'train', 4), { kind: 'failure', run: 'r-1', stage: 'train', round: 4 }],
    ];
    for (const [key, parsed] of cases) expect(parseKey(key)).toEqual(parsed);
    for (const foreign of ['runs/r/round=01/_manifest.json', 'runs/R/run.json', 'other/r/run.json', 'runs/r/round=1/generations/shard=1.json', 'runs/r/checkpoints/0/sub/x.bin', 'runs/r/round=1/judge-metrics/shard=1.jsonl', 'runs/r/round=1/judge-metrics/shard=01.json', 'runs/r/summary.jsonl']) {
      expect(parseKey(foreign)).toBeNull();
    }
  });
});
