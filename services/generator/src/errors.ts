/**
 * A generate task that cannot succeed however often it is retried: no manifest, a shard the
 * manifest does not list, a missing checkpoint, invalid sampling settings, a prompt longer than
 * the context window, an OpenAI-compatible server that rejects the request (4xx). The worker passes
 * isPermanent to runWorker, which dead-letters these at once and records the unit's failure
 * (packages/cloud unitFailureHook) instead of retrying them maxReceiveCount times; anything else
 * (network, throttling, a crashed engine) is retried.
 */
import { NotFoundError, PermanentError } from '@sppo/cloud';
import { SppoError } from '@sppo/core';
import { OpenAiBackendError } from './openai-backend.ts';

export class PermanentGenerateError extends PermanentError {
  override name = 'PermanentGenerateError';
}

export function isPermanent(error: unknown): boolean {
  if (error instanceof PermanentGenerateError || error instanceof NotFoundError) return true;
  if (error instanceof OpenAiBackendError) {
    const s = error.status;
    return s !== undefined && s >= 400 && s < 500 && s !== 408 && s !== 429;
  }
  return error instanceof SppoError && error.userError;
}

/** The error's message as a failure reason (packages/cloud failureReason). */
export { failureReason as reasonOf } from '@sppo/cloud';
