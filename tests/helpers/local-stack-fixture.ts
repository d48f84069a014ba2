/**
 * What the e2e tests that drive cli's startLocalStack (the stack of `./sppo up`, in process) share:
 * a temporary folder with a tiny random base policy (`init-model --preset tiny`), the stack on it,
 * and GET/POST to its gateway with the tenant's key.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runInitModel } from '../../packages/cli/src/commands/init-model.ts';
import { startLocalStack, type LocalStack } from '../../packages/cli/src/local-stack.ts';

export interface TinyLocalStack {
  /** The temporary folder: `base/` (the policy), `emulator/`, `logs/`, `cache/`. */
  work: string;
  baseDir: string;
  stack: LocalStack;
  /** The gateway's JSON answer to `path`; throws with the status and body unless it is 2xx. */
  api(path: string, init?: RequestInit): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startTinyLocalStack({ name, apiKey }: { name: string; apiKey: string }): Promise<TinyLocalStack> {
  const work = await mkdtemp(join(tmpdir(), `sppo-e2e-${name}-`));
  const baseDir = join(work, 'base');
  let stack: LocalStack;
  try {
    expect(await runInitModel(['--out', baseDir, '--preset', 'tiny', '--seed', '7'])).toBe(0);
    stack = await startLocalStack({ dataDir: join(work, 'emulator'), logDir: join(work, 'logs'), cacheDir: join(work, 'cache'), tenant: 'e2e', apiKey });
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  return {
    work,
    baseDir,
    stack,
    async api(path, init = {}) {
      const res = await fetch(`${stack.gatewayUrl}${path}`, { ...init, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' } });
      const body = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
      return body;
    },
    async close() {
      await stack.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
