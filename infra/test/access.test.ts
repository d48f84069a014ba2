// The IAM key patterns of access.ts against the keys the services really use, built with
// packages/core's key functions (keys.ts), so a key layout change that the policies do not follow
// fails here rather than as AccessDenied in a deployment. The lists follow the handlers:
// services/{generator,judge,trainer}/src/handler.ts, packages/cloud (run-status.ts,
// unit-failures.ts), the gateway's automation and run creation.
import {
  checkpointCompleteKey,
  checkpointFileKey,
  enqueuedMarkerKey,
  evalGenerateMarkerKey,
  evalGenerationShardKey,
  evalJudgeMarkerKey,
  evalJudgmentShardKey,
  evalManifestKey,
  evalMetricsKey,
  evalPromptsKey,
  failureKey,
  generationShardKey,
  judgeMetricsKey,
  manifestKey,
  promptsKey,
  roundMetricsKey,
  runConfigKey,
  runStatusKey,
  runSummaryKey,
  trainStateKey,
  tripletShardKey,
} from '@sppo/core';
import { expect, test } from 'vitest';
import { S3_ACCESS, type ServiceRole } from '../src/access.ts';

/** IAM resource matching: `*` matches any run of characters, '/' included; `?` one character. */
function iamMatches(pattern: string, key: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(key);
}

const [run, t, i] = ['run-1', 3, 7];
type Uses = Partial<Record<'read' | 'write' | 'delete', string[]>>;
const USES: Partial<Record<ServiceRole, Uses>> = {
  generator: {
    read: [
      runStatusKey(run),
      runConfigKey(run),
      promptsKey(run),
      manifestKey(run, t),
      checkpointFileKey(run, t, 'model.onnx'),
      checkpointCompleteKey(run, t),
      // eval_generate (issue 21): the evaluation manifest and prompts, and its own samples read back
      evalManifestKey(run, t),
      evalPromptsKey(run),
      evalGenerationShardKey(run, t, i),
    ],
    write: [generationShardKey(run, t, i), failureKey(run, 'generate', t, i), evalGenerationShardKey(run, t, i), failureKey(run, 'eval_generate', t, i)],
  },
  judge: {
    // The two outputs are read back (HEAD) to skip a shard that is already judged.
    read: [runStatusKey(run), manifestKey(run, t), generationShardKey(run, t, i), judgeMetricsKey(run, t, i), tripletShardKey(run, t, i), evalManifestKey(run, t), evalGenerationShardKey(run, 0, i), evalJudgmentShardKey(run, t, i)],
    write: [judgeMetricsKey(run, t, i), tripletShardKey(run, t, i), failureKey(run, 'judge', t, i), evalJudgmentShardKey(run, t, i), failureKey(run, 'eval_judge', t, i)],
  },
  trainer: {
    read: [runStatusKey(run), manifestKey(run, t), tripletShardKey(run, t, i), checkpointFileKey(run, t, 'model.onnx'), checkpointCompleteKey(run, t + 1), trainStateKey(run, t), roundMetricsKey(run, t)],
    write: [checkpointFileKey(run, t + 1, 'model.onnx'), checkpointCompleteKey(run, t + 1), trainStateKey(run, t), roundMetricsKey(run, t), failureKey(run, 'train', t)],
    delete: [trainStateKey(run, t)],
  },
  events: {
    read: [runConfigKey(run), runStatusKey(run), manifestKey(run, t), roundMetricsKey(run, t), judgeMetricsKey(run, t, i), checkpointCompleteKey(run, t)],
    write: [
      manifestKey(run, t),
      enqueuedMarkerKey(run, t, 'judge', i),
      enqueuedMarkerKey(run, t, 'train'),
      runStatusKey(run),
      runSummaryKey(run),
      failureKey(run, 'judge', t, i),
      evalManifestKey(run, t),
      evalGenerateMarkerKey(run, t, i),
      evalJudgeMarkerKey(run, t, i),
      evalMetricsKey(run, t),
    ],
  },
  gateway: {
    read: [runConfigKey(run), runStatusKey(run), judgeMetricsKey(run, t, i), 'models/base/model.onnx'],
    write: [runConfigKey(run), promptsKey(run), runStatusKey(run), checkpointFileKey(run, 0, 'model.onnx'), checkpointCompleteKey(run, 0), evalPromptsKey(run)],
  },
  janitor: { delete: [generationShardKey(run, t, i), tripletShardKey(run, t, i), trainStateKey(run, t)] },
};

test.each(Object.entries(USES) as [ServiceRole, Uses][])('%s may touch every key its code uses', (role, uses) => {
  for (const action of ['read', 'write', 'delete'] as const) {
    for (const key of uses[action] ?? []) {
      expect(S3_ACCESS[role][action].some((pattern) => iamMatches(pattern, key)), `${role} ${action} ${key}`).toBe(true);
    }
  }
});

test('the stage workers still cannot touch what is not theirs', () => {
  const allowed = (role: ServiceRole, action: 'read' | 'write' | 'delete', key: string) => S3_ACCESS[role][action].some((p) => iamMatches(p, key));
  expect(allowed('judge', 'write', roundMetricsKey(run, t))).toBe(false);
  expect(allowed('generator', 'write', tripletShardKey(run, t, i))).toBe(false);
  expect(allowed('judge', 'write', checkpointFileKey(run, t, 'model.onnx'))).toBe(false);
  expect(allowed('trainer', 'write', generationShardKey(run, t, i))).toBe(false);
  expect(allowed('janitor', 'delete', checkpointFileKey(run, t, 'model.onnx'))).toBe(false);
  expect(allowed('gateway', 'write', checkpointFileKey(run, 1, 'model.onnx'))).toBe(false);
  expect(allowed('generator', 'write', evalJudgmentShardKey(run, t, i))).toBe(false);
  expect(allowed('judge', 'write', evalGenerationShardKey(run, t, i))).toBe(false);
  expect(allowed('generator', 'write', evalMetricsKey(run, t))).toBe(false);
  // pi_0's evaluation samples serve every round: never expired by the janitor
  expect(allowed('janitor', 'delete', evalGenerationShardKey(run, 0, i))).toBe(false);
});
