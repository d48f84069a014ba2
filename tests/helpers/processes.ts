/**
 * The services as real operating-system processes (`process.execPath`, the Node 24 running the
 * tests), started from their entry files exactly as `./sppo up` and the containers start them.
 * Their JSON log lines (packages/cloud createLogger, one object a line on stderr) are collected so a
 * test can wait for "this unit started" and count what each process did.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SERVICE_NAMES = ['generator', 'judge', 'trainer', 'events'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Entry file of each service, relative to the repository root (ARCHITECTURE 2, gateway README). */
export const SERVICE_ENTRIES: Record<ServiceName, string> = {
  generator: 'services/generator/src/main.ts',
  judge: 'services/judge/src/main.ts',
  trainer: 'services/trainer/src/main.ts',
  events: 'services/gateway/src/events-main.ts',
};

/**
 * Every process of the stack, for suites that run all of it as processes (tests/load): the four
 * workers plus the Node gateway and the emulator (both print their URL as the first stdout line).
 */
export const STACK_ENTRIES: Record<ProcessName, string> = {
  ...SERVICE_ENTRIES,
  gateway: 'services/gateway/src/node.ts',
  emulator: 'packages/cloud/src/emulator-main.ts',
};
export type ProcessName = ServiceName | 'gateway' | 'emulator';

export interface LogLine {
  service: ProcessName;
  pid: number;
  /** The raw line (kept for the secret scan). */
  text: string;
  /** The parsed JSON object, or null for a plain line. */
  json: Record<string, unknown> | null;
}

export interface ServiceProcess {
  readonly name: ProcessName;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

export interface ProcessGroup {
  readonly logs: LogLine[];
  start(name: ProcessName, env: Record<string, string>): ServiceProcess;
  /** Sends `signal` to the service's current process and waits for it to end. */
  kill(name: ProcessName, signal?: NodeJS.Signals): Promise<void>;
  current(name: ProcessName): ServiceProcess | undefined;
  /** Resolves with the first log line (already seen or future) that matches; rejects after `timeoutMs`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** Log lines whose JSON `event` is `event` (optionally of one service). */
  events(event: string, service?: ProcessName): LogLine[];
  stopAll(): Promise<void>;
}

export function startProcessGroup(): ProcessGroup {
  const logs: LogLine[] = [];
  const running = new Map<ProcessName, ServiceProcess>();
  const all: ServiceProcess[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  const push = (line: LogLine): void => {
    logs.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };

  const collect = (name: ProcessName, pid: number, stream: NodeJS.ReadableStream | null): void => {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let json: Record<string, unknown> | null = null;
        try {
          const parsed = JSON.parse(text) as unknown;
          if (parsed !== null && typeof parsed === 'object') json = parsed as Record<string, unknown>;
        } catch {
          // a plain line (e.g. a Node warning)
        }
        push({ service: name, pid, text, json });
        if (process.env.SPPO_TEST_ECHO_LOGS === '1') process.stderr.write(`[${name} ${pid}] ${text}\n`);
        newline = buffered.indexOf('\n');
      }
    });
  };

  // If the test process dies without its afterAll (a crash, a timeout kill), take the workers along.
  const killAllOnExit = (): void => {
    for (const p of all) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  };
  process.once('exit', killAllOnExit);

  const start = (name: ProcessName, env: Record<string, string>): ServiceProcess => {
    const previous = running.get(name);
    if (previous !== undefined && previous.child.exitCode === null && previous.child.signalCode === null) {
      throw new Error(`${name} is already running (pid ${previous.pid}); kill it first`);
    }
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', STACK_ENTRIES[name]], {
      cwd: REPO_ROOT,
      // Only what the services read: no inherited credentials or settings from the developer's shell.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ONNXRUNTIME_NODE_INSTALL: 'skip', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid ?? -1;
    collect(name, pid, child.stdout);
    collect(name, pid, child.stderr);
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    const proc: ServiceProcess = { name, pid, child, exited };
    running.set(name, proc);
    all.push(proc);
    return proc;
  };

  const kill = async (name: ProcessName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const proc = running.get(name);
    if (proc === undefined || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    proc.child.kill(signal);
    await proc.exited;
  };

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 60_000, what = 'a matching log line'): Promise<LogLine> => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        const tail = logs.slice(-15).map((l) => `  [${l.service}] ${l.text.slice(0, 300)}`).join('\n');
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last log lines:\n${tail}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };

  return {
    logs,
    start,
    kill,
    current: (name) => running.get(name),
    waitForLog,
    events: (event, service) => logs.filter((l) => l.json?.event === event && (service === undefined || l.service === service)),
    stopAll: async () => {
      process.off('exit', killAllOnExit);
      // SIGTERM first (graceful drain), SIGKILL whatever is still alive after 5 s.
      const alive = all.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
      for (const p of alive) p.child.kill('SIGTERM');
      await Promise.all(
        alive.map((p) =>
          Promise.race([p.exited, new Promise((r) => setTimeout(r, 5_000))]).then(() => {
            if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
          }),
        ),
      );
    },
  };
}
