// Public API of the judge service: the task handler (tests call it with synthetic messages), the
// worker, the shard logic shared with `./sppo judge`, and the judge resolver.
export { createJudgeHandler, judgeMetricsKey, judgeShard } from './handler.ts';
export type { JudgeHandlerOptions, JudgeOutcome, JudgeShardMetrics } from './handler.ts';
export { addRow, JUDGE_INPUT_LAYOUTS, judgeGenerations, parseGenerationShard } from './shard.ts';
export type { BadLine, JudgedShard, JudgeShardOptions, ParsedGenerations } from './shard.ts';
export { createJudgeResolver } from './judges.ts';
export type { JudgeResolver, JudgeResolverOptions, JudgeSpec } from './judges.ts';
export { isPermanent, PermanentJudgeError, reasonOf } from './errors.ts';
export { startJudgeWorker } from './worker.ts';
export type { JudgeWorkerOptions } from './worker.ts';
export { createJudgeApp, JudgeHttpError } from './http/app.ts';
export type { JudgeAppOptions } from './http/app.ts';
export { startJudgeServer } from './http/server.ts';
export type { JudgeServer } from './http/server.ts';
