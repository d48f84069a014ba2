// Tenancy: a run is visible only to the tenant that created it. Any other tenant gets 404, the
// same answer as for a run that does not exist, so ids cannot be probed across tenants.
import { runIdSchema } from '@sppo/core';
import { ApiError, notFound } from '../http/errors.ts';
import type { RunStore } from '../ports.ts';
import { runBelongsTo } from '../tenants.ts';
import { readRunRecord, type RunRecord } from './record.ts';

/** 400 unless `raw` is a valid run id (no traversal, no unicode, at most 63 characters). */
export function parseRunIdParam(raw: string): string {
  const result = runIdSchema.safeParse(raw);
  if (!result.success) {
    throw new ApiError(400, 'invalid_request', `invalid run id ${JSON.stringify(raw.slice(0, 80))}: run ids are 1-63 characters of a-z, 0-9 and "-", as returned by POST /v1/runs`);
  }
  return result.data;
}

/** 400 unless `raw` is a round number (0-9999 in decimal). */
export function parseRoundParam(raw: string): number {
  if (!/^(0|[1-9][0-9]{0,3})$/.test(raw)) {
    throw new ApiError(400, 'invalid_request', `invalid round ${JSON.stringify(raw.slice(0, 20))}: rounds are integers from 0 (the first) to num_iterations - 1`);
  }
  return Number(raw);
}

/** The run's record when `tenant` owns it; 404 otherwise. */
export async function loadOwnedRun(store: RunStore, rawId: string, tenant: string): Promise<RunRecord> {
  const runId = parseRunIdParam(rawId);
  if (!runBelongsTo(runId, tenant)) throw notFound(`run ${runId}`);
  const record = await readRunRecord(store, runId);
  if (record === null || record.tenant !== tenant) throw notFound(`run ${runId}`);
  return record;
}
