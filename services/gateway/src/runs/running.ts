/**
 * How many runs of a tenant are running, from the records the gateway already stores (no index to
 * keep in sync): one listing of `runs/{tenant}--` (as GET /v1/runs does, every page), then each
 * run's status.json (absent = running) and run.json (absent = not created). A completed run never runs again, so completed ids are
 * remembered per process and not read twice; cancelled and failed runs can be resumed and are
 * read each time. The cost is one listing page per 1000 runs plus two GETs per run not known
 * to be completed.
 */
import { runConfigKey } from '@sppo/core';
import type { ApiStore } from '../ports.ts';
import { tenantRunPrefix } from '../tenants.ts';
import { readStatus } from './record.ts';

/** Completed run ids kept per process before the memo starts over (bounded memory). */
const MAX_REMEMBERED = 100_000;

export interface RunningRunsCounter {
  count(store: ApiStore, tenant: string): Promise<number>;
}

export function createRunningRunsCounter({ concurrency = 8 }: { concurrency?: number } = {}): RunningRunsCounter {
  const completed = new Set<string>();
  return {
    async count(store, tenant) {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listPage(tenantRunPrefix(tenant), { delimiter: '/', maxKeys: 1000, ...(cursor === undefined ? {} : { cursor }) });
        for (const prefix of page.prefixes) ids.push(prefix.slice('runs/'.length, -1));
        cursor = page.cursor;
      } while (cursor !== undefined);
      const unknown = ids.filter((id) => !completed.has(id));
      let running = 0;
      let next = 0;
      const lanes = Array.from({ length: Math.min(concurrency, unknown.length) }, async () => {
        while (next < unknown.length) {
          const id = unknown[next++] as string;
          const [status, record] = await Promise.all([readStatus(store, id), store.getText(runConfigKey(id))]);
          // No run.json: a creation that failed half-way (or is under way: RunAdmission counts those).
          if (record === null) continue;
          if ((status?.status ?? 'running') === 'running') running += 1;
          else if (status?.status === 'completed') {
            if (completed.size >= MAX_REMEMBERED) completed.clear();
            completed.add(id);
          }
        }
      });
      await Promise.all(lanes);
      return running;
    },
  };
}
