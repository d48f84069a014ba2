/**
 * The load suite's figures, as the fault suite prints them (tests/helpers/figures.ts), one line per
 * figure group straight to fd 1:
 *   [sppo-figures] load/concurrent-runs: runs=12 rows_lost=0 units_started_twice=0 ...
 * Values may be lists (a timeline: `queue_generate=0,4,9,...`). With SPPO_LOAD_REPORT=DIR each
 * group is also written as DIR/<group>.json, with the full series.
 */
import { mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type Figure = number | string | null;

export function reportLoad(group: string, figures: Record<string, Figure>, detail?: unknown): void {
  const line = `[sppo-figures] load/${group}: ${Object.entries(figures)
    .map(([k, v]) => `${k}=${v === null ? 'none' : v}`)
    .join(' ')}\n`;
  writeSync(1, line);
  const dir = process.env.SPPO_LOAD_REPORT;
  if (dir !== undefined && dir !== '') {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${group.replaceAll('/', '-')}.json`), `${JSON.stringify({ group, figures, detail }, null, 2)}\n`);
  }
}
