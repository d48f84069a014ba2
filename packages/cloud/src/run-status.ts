// Whether a run was cancelled, as the stage services check before doing a unit's work.
import { runStatusKey, runStatusRecordSchema } from '@sppo/core';
import { isNotFound } from './errors.ts';
import type { ObjectStore } from './object-store.ts';

/** True when runs/{run}/status.json says `cancelled`; a run with no status record is not. */
export async function isRunCancelled(store: ObjectStore, run: string): Promise<boolean> {
  try {
    return (await store.getJson(runStatusKey(run), runStatusRecordSchema)).status === 'cancelled';
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}
