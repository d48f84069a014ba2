/**
 * What the command tests that train a tiny model share (sft.test.ts, lora.test.ts): a temporary
 * folder with a tiny random policy in `tiny/`, and the commands' progress lines captured.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { runInitModel } from './init-model.ts';

/** `init-model --preset tiny --seed 3` into `<new temp folder>/tiny` (its progress lines silenced). */
export async function createTinyModel(prefix: string): Promise<{ dir: string; model: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const model = join(dir, 'tiny');
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  await runInitModel(['--out', model, '--preset=tiny', '--seed=3']);
  return { dir, model };
}

/** From now on, stderr chunks go to the returned array and stdout is silenced. */
export function captureOutput(): string[] {
  const stderr: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return stderr;
}
