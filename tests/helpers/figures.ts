/**
 * The suite's figures: each fault or fuzz file prints one line at its end (afterAll), straight to
 * the process's stdout so vitest shows it whatever its reporter, e.g.
 *   [sppo-figures] faults/worker-crash: faults_injected=3 rows_lost=0 checkpoints_lost=0
 */
import { writeSync } from 'node:fs';

export function reportFigures(suite: string, figures: Record<string, number>): void {
  const line = `[sppo-figures] ${suite}: ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}\n`;
  // fd 1 directly: console.* output is buffered per test by vitest and may be hidden when all pass.
  writeSync(1, line);
}
