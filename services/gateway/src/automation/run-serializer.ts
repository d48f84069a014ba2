/**
 * The events worker handles one event of a run at a time, and a duplicate of an event that is still
 * waiting for its turn rides on that one (issue 18, event storms).
 *
 * Why: handleEvent is safe under duplicates that arrive one after the other (the second finds the
 * stage's manifest or marker), but two copies handled at the same moment both derive the state
 * before either wrote its marker and both start the stage (core's "racing finishers"). Serialising
 * per run closes that race inside one process, and coalescing makes a storm of duplicates cheap:
 * a copy that arrives while an identical event waits is answered by that event's handling, which
 * starts later and so reads a state at least as new as the copy's. A copy of an event already
 * being handled is not coalesced: it waits and is handled on its own (it may find new evidence).
 * Across several events worker processes the race remains (the stage handlers absorb it:
 * ARCHITECTURE 3.5); one process with some concurrency is the deployed shape (infra/).
 *
 * Memory stays flat: a run's lane is dropped as soon as it has nothing running or waiting.
 */

export interface SerializedResult<T> {
  value: T;
  /** True when this call was answered by an identical waiting event's handling. */
  coalesced: boolean;
}

export interface RunSerializer {
  /** Runs `task` after every earlier task of `runId`; `key` identifies identical events. */
  run<T>(runId: string, key: string, task: () => Promise<T>): Promise<SerializedResult<T>>;
  /** Runs with a task running or waiting. */
  busyRuns(): number;
}

interface Lane {
  tail: Promise<void>;
  waiting: Map<string, Promise<unknown>>;
  pending: number;
}

export function createRunSerializer(): RunSerializer {
  const lanes = new Map<string, Lane>();
  return {
    run<T>(runId: string, key: string, task: () => Promise<T>): Promise<SerializedResult<T>> {
      let lane = lanes.get(runId);
      if (lane === undefined) {
        lane = { tail: Promise.resolve(), waiting: new Map(), pending: 0 };
        lanes.set(runId, lane);
      }
      const same = lane.waiting.get(key) as Promise<T> | undefined;
      if (same !== undefined) return same.then((value) => ({ value, coalesced: true }));
      const current = lane;
      current.pending += 1;
      const started = current.tail.then(() => {
        current.waiting.delete(key);
        return task();
      });
      current.waiting.set(key, started);
      current.tail = started.then(
        () => undefined,
        () => undefined,
      ).finally(() => {
        current.pending -= 1;
        if (current.pending === 0 && lanes.get(runId) === current) lanes.delete(runId);
      });
      return started.then((value) => ({ value, coalesced: false }));
    },
    busyRuns: () => lanes.size,
  };
}
