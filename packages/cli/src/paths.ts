import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: SPPO_ROOT from the wrapper, else found from this file's location. */
export function workspaceRoot(): string {
  return process.env.SPPO_ROOT ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
}
