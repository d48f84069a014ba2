// `./sppo test`: type-check the workspace, run every vitest project, end with one summary line
// `N passed, N failed` (the type check counts as one test, so a type error fails the run).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '../paths.ts';

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  success: boolean;
}

export async function runTest(argv: string[]): Promise<number> {
  const root = workspaceRoot();
  let passed = 0;
  let failed = 0;
  // `--no-typecheck` skips tsc (handy while iterating on one project: ./sppo test --no-typecheck --project core);
  // every other argument goes to vitest.
  const typecheck = !argv.includes('--no-typecheck');
  const args = argv.filter((a) => a !== '--no-typecheck');

  let tscOk = true;
  if (typecheck) {
    console.log('sppo test: type-checking the workspace (tsc --noEmit)');
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], {
      cwd: root,
      stdio: 'inherit',
    });
    tscOk = tsc.status === 0;
    if (tscOk) passed += 1;
    else failed += 1;
  }

  const reportDir = join(root, '.sppo/test-results');
  mkdirSync(reportDir, { recursive: true });
  const reportFile = join(reportDir, `vitest-${process.pid}.json`); // one per run: several may run at once
  rmSync(reportFile, { force: true });
  const vitest = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...args],
    { cwd: root, stdio: 'inherit', env: { ...process.env, SPPO_TEST: '1' } },
  );
  let skipped = 0;
  try {
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as VitestJsonReport;
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    // A suite that failed to load counts no test but must still fail the run.
    if (!report.success && report.numFailedTests === 0) failed += 1;
  } catch {
    console.error(`sppo test: vitest wrote no report (exit ${vitest.status ?? vitest.signal}); counting the run as failed`);
    failed += 1;
  }
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed === 0 && vitest.status === 0 && tscOk ? 0 : 1;
}
