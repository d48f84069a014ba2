/**
 * The `./sppo` command line as a user runs it, for the e2e tests: the CLI's entry file in a child
 * process of the Node running the tests, and `./sppo up` started on free ports until it prints its
 * gateway URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../packages/cli/src/main.ts', import.meta.url));
const GATEWAY_URL = /gateway\s+(http:\/\/127\.0\.0\.1:\d+)/;

/** `./sppo ARGS` from the repository root, stdout and stderr piped. */
export function sppoCli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The child's exit code, once it has exited. */
export function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((done) => child.once('exit', (code) => done(code)));
}

export interface SppoUp {
  child: ChildProcess;
  gatewayUrl: string;
  /** Everything `./sppo up` printed so far (stdout and stderr). */
  output(): string;
}

/**
 * `./sppo up` on free ports with its emulator state in `dataDir`, one tenant and key; resolves once
 * it printed the gateway's URL, and throws with its output if it exits first or takes longer than
 * `readyMs`.
 */
export async function startSppoUp({ dataDir, apiKey, tenant = 'e2e', readyMs = 60_000 }: { dataDir: string; apiKey: string; tenant?: string; readyMs?: number }): Promise<SppoUp> {
  const child = sppoCli(['up', '--port=0', '--emulator-port=0', `--data-dir=${dataDir}`, `--tenant=${tenant}`, `--api-key=${apiKey}`]);
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (d: Buffer) => (output += d.toString()));
  const started = Date.now();
  while (!GATEWAY_URL.test(output)) {
    if (child.exitCode !== null) throw new Error(`./sppo up exited ${child.exitCode}:\n${output}`);
    if (Date.now() - started > readyMs) throw new Error(`./sppo up printed no gateway URL in ${readyMs} ms:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, gatewayUrl: GATEWAY_URL.exec(output)![1]!, output: () => output };
}
