// Public API of @sppo/core: the pure SPPO domain (schemas, preference maths, loss references,
// S3 key layout, round state machine). This file only re-exports.

export * from './errors.ts';
export * from './ids.ts';

// run config
export * from './config/training-args.ts';
export * from './config/run-config.ts';
export { applyOverrides, formatConfigIssues, jsonDepth, MAX_CONFIG_DEPTH, parseOverrideArgs, parseRunConfig, parseTrainingArgs } from './config/parse.ts';
export { formatPath, toValidationIssues } from './config/issues.ts';

// messages, rows, records, metrics
export * from './schemas/messages.ts';
export * from './schemas/rows.ts';
export * from './schemas/judge-input.ts';
export * from './schemas/records.ts';
export * from './schemas/metrics.ts';
export * from './schemas/jsonl.ts';
export * from './schemas/complete-marker.ts';

// prompts
export * from './prompts/plan.ts';

// preference maths
export * from './preference/sigmoid.ts';
export * from './preference/matrix.ts';
export * from './preference/triplets.ts';

// losses and schedule
export * from './loss/reference.ts';
export * from './loss/schedule.ts';

// the HTTP API's types, generated from the gateway's OpenAPI document
export type * from './api/types.ts';

// S3 keys and the round state machine
export * from './keys.ts';
export * from './state/run-state.ts';
export * from './state/machine.ts';

// the evaluation stage (issue 21)
export * from './evaluation/plan.ts';
export * from './evaluation/records.ts';
export * from './evaluation/stats.ts';
export * from './evaluation/metrics.ts';
