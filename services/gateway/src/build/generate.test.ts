// The committed generated files are current, and the API document passes redocly's recommended
// rules with no error and no warning (so client generators can use it as it is).
import { spawnSync } from 'node:child_process';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../api/openapi.ts';
import { generatedFiles } from './generate.ts';

describe('generated files', () => {
  it('are what build/generate.ts writes (else: ./sppo exec node services/gateway/src/build/generate.ts)', async () => {
    for (const { path, expected } of await generatedFiles()) {
      const committed = await readFile(path, 'utf8').catch(() => '(missing)');
      expect(committed === expected, `${relative(process.cwd(), path)} is stale: ./sppo exec node services/gateway/src/build/generate.ts`).toBe(true);
    }
  });
});

/** @redocly/cli's entry script (its package's "bin"), run with this Node: no PATH lookup, no shell. */
function redoclyBin(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('@redocly/cli/package.json');
  const pkg = JSON.parse(require('node:fs').readFileSync(pkgPath, 'utf8') as string) as { bin: Record<string, string> };
  return join(dirname(pkgPath), pkg.bin['redocly'] ?? 'bin/cli.js');
}

describe('redocly lint --extends recommended', () => {
  it('reports no error and no warning on /openapi.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sppo-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(buildOpenApiDocument(), null, 2));
      // Offline: no telemetry, no update check (the lint itself needs no network).
      const result = spawnSync(process.execPath, [redoclyBin(), 'lint', '--extends', 'recommended', '--format', 'summary', file], {
        encoding: 'utf8',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true' },
        timeout: 60_000,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.status, output).toBe(0);
      // Printed only with no error and no warning ("Validation failed with N errors and M warnings" else).
      expect(output, output).toContain('Your API description is valid');
      expect(output, output).not.toMatch(/\bwarnings?\b/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
