/**
 * Writes Parquet files for the CLI's tests (not exported): hyparquet-writer, a devDependency of
 * the gateway (whose Parquet tests use it), resolved from the gateway's package at run time.
 * Nested values (message lists, K x K matrices) become Parquet lists and structs, the layout of the
 * official SPPO datasets.
 */
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { workspaceRoot } from './paths.ts';

interface Writer {
  parquetWriteBuffer(options: { columnData: { name: string; data: unknown[] }[] }): ArrayBuffer;
}

export async function writeParquet(path: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  const require = createRequire(join(workspaceRoot(), 'services/gateway/package.json'));
  const { parquetWriteBuffer } = (await import(pathToFileURL(require.resolve('hyparquet-writer')).href)) as Writer;
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  await writeFile(path, new Uint8Array(parquetWriteBuffer({ columnData: names.map((name) => ({ name, data: rows.map((r) => r[name] ?? null) })) })));
}
