/**
 * A judge task that cannot succeed however often it is retried: no manifest, no generation shard,
 * a shard whose prompts have fewer than 2 responses, an unusable judge model. The worker passes
 * isPermanent to runWorker, which dead-letters these at once and records the unit's failure
 * (packages/cloud unitFailureHook) instead of retrying them maxReceiveCount times; anything else
 * (network, throttling) is retried.
 */
import { NotFoundError, PermanentError } from '@sppo/cloud';
import { SppoError } from '@sppo/core';

export class PermanentJudgeError extends PermanentError {
  override name = 'PermanentJudgeError';
}

export function isPermanent(error: unknown): boolean {
  if (error instanceof PermanentJudgeError || error instanceof NotFoundError) return true;
  return error instanceof SppoError && error.userError;
}

/** The error's message as a failure reason (packages/cloud failureReason). */
export { failureReason as reasonOf } from '@sppo/cloud';
