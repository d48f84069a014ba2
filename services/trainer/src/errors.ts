/**
 * A train task that cannot succeed however often it is retried: a missing manifest or reference
 * checkpoint, invalid triplet rows (probabilities outside [0, 1], empty responses), a loss type the
 * rows cannot feed. runWorker retries every handler error up to maxReceiveCount times; the handler
 * recognises these instead and dead-letters the message at once with its reason (failures.ts).
 */
import { NotFoundError } from '@sppo/cloud';
import { SppoError } from '@sppo/core';
import { TrainingDivergedError } from '@sppo/model';

export class PermanentTrainError extends Error {
  override name = 'PermanentTrainError';
}

/** Errors that a retry cannot fix: ours, core's user errors (ValidationError, ConfigError), missing inputs, a diverged loss. */
export function isPermanent(error: unknown): boolean {
  if (error instanceof PermanentTrainError || error instanceof NotFoundError || error instanceof TrainingDivergedError) return true;
  return error instanceof SppoError && error.userError;
}

export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 4000 ? `${text.slice(0, 3997)}...` : text;
}
