/**
 * The demo's live progress: one status line per change of (stage, shards, steps). A TTY gets one
 * line rewritten in place; anything else (a pipe, a CI log) gets one plain line per change
 * (STYLE guideline 10), so a log reads top to bottom.
 */

export interface ProgressState {
  /** e.g. 'assets', 'round 1/3', 'evaluate'. */
  scope: string;
  stage: string;
  shards?: { done: number; total: number; label: string };
  steps?: { done: number; total: number };
  detail?: string;
}

export interface ProgressDisplay {
  update(state: ProgressState): void;
  /** A line that stays (a finished step, a warning). */
  log(line: string): void;
  done(): void;
}

export function formatProgress(state: ProgressState): string {
  const parts = [`[${state.scope}]`, state.stage];
  if (state.shards) parts.push(`${state.shards.label} ${state.shards.done}/${state.shards.total}`);
  if (state.steps && state.steps.total > 0) parts.push(`step ${state.steps.done}/${state.steps.total}`);
  if (state.detail) parts.push(state.detail);
  return parts.join('  ');
}

export interface ProgressDisplayOptions {
  write?: (text: string) => void;
  tty?: boolean;
  /** Elapsed-time prefix source (ms). */
  now?: () => number;
}

export function createProgressDisplay({
  write = (text) => process.stderr.write(text),
  tty = process.stderr.isTTY === true,
  now = () => performance.now(),
}: ProgressDisplayOptions = {}): ProgressDisplay {
  const started = now();
  let last = '';
  let open = false;
  const stamp = (): string => `${((now() - started) / 1000).toFixed(0).padStart(4)}s`;
  const closeLine = (): void => {
    if (open) write('\n');
    open = false;
  };
  return {
    update(state) {
      const line = formatProgress(state);
      if (line === last) return;
      last = line;
      if (tty) {
        write(`\r\x1b[K${stamp()} ${line}`);
        open = true;
      } else {
        write(`${stamp()} ${line}\n`);
      }
    },
    log(line) {
      if (tty && open) write('\r\x1b[K');
      open = false;
      write(`${stamp()} ${line}\n`);
      last = '';
    },
    done() {
      closeLine();
    },
  };
}
