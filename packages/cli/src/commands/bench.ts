// `./sppo bench NAME`: runs bench/NAME.ts, which prints one JSON object on stdout:
// { "bench": NAME, "rows": [ { "case", "speedup": PEER_TIME / OUR_TIME, ... } ] }.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { workspaceRoot } from '../paths.ts';

export function availableBenches(root = workspaceRoot()): string[] {
  const dir = join(root, 'bench');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}

export async function runBench(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const names = availableBenches();
  if (!name || !names.includes(name)) {
    throw new UsageError(`${name ? `unknown benchmark "${name}". ` : ''}Usage: ./sppo bench NAME. Valid names: ${names.join(', ') || '(none yet)'}`);
  }
  const result = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', join(workspaceRoot(), 'bench', `${name}.ts`), ...rest], {
    stdio: 'inherit',
  });
  return result.status ?? 1;
}
