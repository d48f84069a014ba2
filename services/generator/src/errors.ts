/**
 * A generate task that cannot succeed however often it is retried: no manifest, a shard the
 * manifest does not list, a missing checkpoint, invalid sampling settings, a prompt longer than
 * the context window, an OpenAI-compatible server that rejects the request (4xx). The handler
 * records these as the unit's failure at once (failures.ts) instead of letting runWorker retry
 * them maxReceiveCount times; anything else (network, throttling, a crashed engine) is retried.
 */
import { NotFoundError } from '@sppo/cloud';
import { SppoError } from '@sppo/core';
import { OpenAiBackendError } from './openai-backend.ts';

export class PermanentGenerateError extends Error {
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

export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 4000 ? `${text.slice(0, 3997)}...` : text;
}
