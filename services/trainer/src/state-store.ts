/**
 * Resumable trainer state in the bucket (core's trainStateKey: runs/{run}/round={t}/train-state/).
 * The tensor files go up first, `state.json` last, then the previous save's tensor files are
 * deleted, so the state.json present always names complete files (packages/model training/state.ts).
 */
import { isNotFound, type ObjectStore } from '@sppo/cloud';
import { trainStateKey, trainStatePrefix } from '@sppo/core';
import { deserializeTrainState, readTrainStateIndex, serializeTrainState, TRAIN_STATE_FILE, type TrainState } from '@sppo/model';

export interface TrainStateStore {
  load(): Promise<TrainState | undefined>;
  save(state: TrainState): Promise<void>;
  clear(): Promise<void>;
}

export function s3TrainStateStore(store: ObjectStore, run: string, round: number): TrainStateStore {
  const key = (file: string): string => trainStateKey(run, round, file);
  return {
    async load() {
      let json: Uint8Array;
      try {
        json = await store.getBytes(key(TRAIN_STATE_FILE));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
      return deserializeTrainState(json, (name) => store.getBytes(key(name)));
    },
    async save(state) {
      const previous = await store.getBytes(key(TRAIN_STATE_FILE)).then(
        (b) => readTrainStateIndex(b).files,
        () => undefined,
      );
      const files = serializeTrainState(state);
      for (const [name, bytes] of files) await store.put(key(name), bytes);
      const current = new Set(files.map(([name]) => name));
      for (const name of Object.values(previous ?? {})) if (!current.has(name)) await store.delete(key(name)).catch(() => undefined);
    },
    async clear() {
      await store.deletePrefix(trainStatePrefix(run, round));
    },
  };
}
