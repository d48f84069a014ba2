/**
 * A train task that cannot succeed however often it is retried: a missing manifest or reference
 * checkpoint, invalid triplet rows (probabilities outside [0, 1], empty responses), a loss type the
 * rows cannot feed. The worker passes isPermanent to runWorker, which dead-letters these at once
 * with their reason and records the unit's failure (packages/cloud unitFailureHook) instead of
 * retrying them maxReceiveCount times.
 */
import { NotFoundError, PermanentError } from '@sppo/cloud';
import { SppoError } from '@sppo/core';
import { TrainingDivergedError } from '@sppo/model';

export class PermanentTrainError extends PermanentError {
  override name = 'PermanentTrainError';
}

/** Errors that a retry cannot fix: ours, core's user errors (ValidationError, ConfigError), missing inputs, a diverged loss. */
export function isPermanent(error: unknown): boolean {
  if (error instanceof PermanentTrainError || error instanceof NotFoundError || error instanceof TrainingDivergedError) return true;
  return error instanceof SppoError && error.userError;
}

/** The error's message as a failure reason (packages/cloud failureReason). */
export { failureReason as reasonOf } from '@sppo/cloud';
