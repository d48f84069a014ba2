/**
 * A judge task that cannot succeed however often it is retried: no manifest, no generation shard,
 * a shard whose prompts have fewer than 2 responses, an unusable judge model. The handler records
 * these as the unit's failure at once (failures.ts) instead of letting runWorker retry them
 * maxReceiveCount times; anything else (network, throttling) is retried.
 */
import { NotFoundError } from '@sppo/cloud';
import { SppoError } from '@sppo/core';

export class PermanentJudgeError extends Error {
  override name = 'PermanentJudgeError';
}

export function isPermanent(error: unknown): boolean {
  if (error instanceof PermanentJudgeError || error instanceof NotFoundError) return true;
  return error instanceof SppoError && error.userError;
}

export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 4000 ? `${text.slice(0, 3997)}...` : text;
}
