/**
 * Input files of the one-shot commands, JSONL or Parquet (the official SPPO datasets are Parquet:
 * UCLA-AGI/data-*-sppo-iter* train.parquet). Parquet is told by its `.parquet` name or its magic
 * bytes and read with the gateway's reader (hyparquet: nested message lists and matrices as plain
 * arrays and objects); its rows are named 0-based like pandas' iloc, JSONL lines 1-based.
 */
import { readFile } from 'node:fs/promises';
import { isParquet, readParquetRows } from '@sppo/gateway';
import { ValidationError } from '@sppo/core';
import { UsageError } from './errors.ts';

export type DataFile = { kind: 'jsonl'; text: string } | { kind: 'parquet'; rows: Record<string, unknown>[] };

/** Reads `path` (named `--option path` in errors) as JSONL text or Parquet rows. */
export async function readDataFile(path: string, option: string): Promise<DataFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read --${option} ${path}: ${(e as Error).message}`);
  }
  if (!isParquet(path, bytes)) return { kind: 'jsonl', text: new TextDecoder().decode(bytes) };
  try {
    return { kind: 'parquet', rows: await readParquetRows(bytes, { subject: `--${option} ${path}` }) };
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(e.message);
    throw e;
  }
}
