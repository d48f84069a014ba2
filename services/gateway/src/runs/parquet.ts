/**
 * Parquet prompt files: the `prompt` column (string, required) and `prompt_id` (string or integer,
 * optional) of a Parquet object, every other column ignored. That is the shape of the SPPO
 * datasets (e.g. UCLA-AGI/data-mistral-7b-instruct-sppo-iter1: `prompt` next to `chosen`,
 * `rejected`, `messages`, scores...), whose prompt text is the `prompt` column.
 *
 * Read with hyparquet (pure JS, so it runs on Node and in Workers). Decoders: hyparquet decodes
 * UNCOMPRESSED and SNAPPY itself (pure JS); GZIP, BROTLI, LZ4 and ZSTD come from
 * hyparquet-compressors' files and fzstd, imported one by one: the package's index also compiles
 * a WASM snappy decoder (hysnappy) from bytes when loaded, and Workers forbid compiling WASM from
 * bytes (local workerd answers "Wasm code generation disallowed by embedder" during a request; it
 * let the module-load compile through, which we do not want to depend on).
 */
import { ValidationError, type ValidationIssue } from '@sppo/core';
import { decompress as decompressZstd } from 'fzstd';
import { parquetMetadata, parquetReadObjects, parquetSchema, type Compressors, type FileMetaData } from 'hyparquet';
import { decompressBrotli } from 'hyparquet-compressors/src/brotli.js';
import { gunzip } from 'hyparquet-compressors/src/gzip.js';
import { decompressLz4, decompressLz4Raw } from 'hyparquet-compressors/src/lz4.js';

/** The magic bytes a Parquet file starts and ends with (Apache Parquet format spec, "File Format"). */
export const PARQUET_MAGIC = 'PAR1';
/** How many bad row numbers an error lists before giving only the count. */
export const MAX_LISTED_ROWS = 20;

const COMPRESSORS: Compressors = {
  GZIP: (input, outputLength) => gunzip(input, new Uint8Array(outputLength)),
  BROTLI: decompressBrotli,
  LZ4: decompressLz4,
  LZ4_RAW: decompressLz4Raw,
  ZSTD: (input) => decompressZstd(input),
};

/** A key ending in `.parquet` (any case), or bytes starting with the Parquet magic. */
export function isParquet(key: string, head?: Uint8Array | string): boolean {
  if (/\.parquet$/i.test(key)) return true;
  if (head === undefined) return false;
  if (typeof head === 'string') return head.startsWith(PARQUET_MAGIC);
  return head.length >= 4 && String.fromCharCode(head[0] ?? 0, head[1] ?? 0, head[2] ?? 0, head[3] ?? 0) === PARQUET_MAGIC;
}

/** "rows 0, 4, 7 (3 rows)" or "rows 0, 1, ..., 19 and 30 more (50 rows)": 0-based, like pandas' iloc. */
export function describeRows(rows: readonly number[], max = MAX_LISTED_ROWS): string {
  const listed = rows.slice(0, max).join(', ');
  const more = rows.length > max ? ` and ${rows.length - max} more` : '';
  return `row${rows.length === 1 ? '' : 's'} ${listed}${more} (${rows.length} row${rows.length === 1 ? '' : 's'}, 0-based)`;
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'bigint') return 'an integer';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'string') return 'an empty string';
  return typeof value === 'object' ? 'a struct' : `a ${typeof value}`;
}

/** Bad rows of one column, grouped so the error stays short whatever the file's size. */
class ColumnProblems {
  readonly rows: number[] = [];
  readonly kinds = new Set<string>();
  add(row: number, value: unknown): void {
    this.rows.push(row);
    this.kinds.add(kindOf(value));
  }
}

/**
 * The prompts of a Parquet file, `prompt_id` as a string when the file has one. Throws
 * ValidationError (subject `subject`) naming the column and the bad rows: no `prompt` column, a
 * prompt that is not a non-empty string, a `prompt_id` that is not a non-empty string or an
 * integer, no rows, or bytes that are not a readable Parquet file.
 */
export async function readParquetPrompts(bytes: Uint8Array, { subject = 'prompt file' }: { subject?: string } = {}): Promise<{ prompt_id?: string; prompt: string }[]> {
  const fail = (path: string, message: string): never => {
    throw new ValidationError(subject, [{ path, message }]);
  };
  if (bytes.byteLength === 0) fail('', 'the object is empty (0 bytes): upload the Parquet file again');
  // hyparquet slices the ArrayBuffer by file offsets, so it must hold exactly this file.
  const file = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;

  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(file);
  } catch (error) {
    return fail('', `not a readable Parquet file (${(error as Error).message}): write it with pandas' to_parquet, pyarrow or datasets' to_parquet, or upload JSONL ({"prompt": ...} a line) instead`);
  }
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  if (!columns.includes('prompt')) {
    fail('column prompt', `no "prompt" column (the file has ${columns.length === 0 ? 'no columns' : `columns ${columns.map((c) => `"${c}"`).join(', ')}`}): a Parquet prompt file needs a string column "prompt" and may have "prompt_id" (string or integer); other columns are ignored`);
  }
  if (Number(metadata.num_rows) === 0) fail('', 'the prompt file has no prompts (0 rows)');

  const hasId = columns.includes('prompt_id');
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file, metadata, columns: hasId ? ['prompt', 'prompt_id'] : ['prompt'], compressors: COMPRESSORS });
  } catch (error) {
    return fail('', `the Parquet data could not be decoded (${(error as Error).message}): the file is corrupt or uses an unsupported codec (supported: UNCOMPRESSED, SNAPPY, GZIP, BROTLI, LZ4, LZ4_RAW, ZSTD)`);
  }

  const badPrompts = new ColumnProblems();
  const badIds = new ColumnProblems();
  const out: { prompt_id?: string; prompt: string }[] = [];
  rows.forEach((row, index) => {
    const prompt = row['prompt'];
    const id = row['prompt_id'];
    if (typeof prompt !== 'string' || prompt === '') badPrompts.add(index, prompt);
    let promptId: string | undefined;
    if (typeof id === 'string' && id !== '') promptId = id;
    else if (typeof id === 'bigint' || (typeof id === 'number' && Number.isSafeInteger(id))) promptId = String(id);
    else if (id !== null && id !== undefined) badIds.add(index, id);
    if (typeof prompt === 'string') out.push(promptId === undefined ? { prompt } : { prompt_id: promptId, prompt });
  });

  const issues: ValidationIssue[] = [];
  if (badPrompts.rows.length > 0) {
    issues.push({ path: 'column prompt', message: `must be a non-empty string; ${describeRows(badPrompts.rows)} hold ${[...badPrompts.kinds].join(' or ')} (a chat-style list of messages is not accepted: put the prompt text in "prompt")` });
  }
  if (badIds.rows.length > 0) {
    issues.push({ path: 'column prompt_id', message: `must be a non-empty string or an integer (or null for a generated id); ${describeRows(badIds.rows)} hold ${[...badIds.kinds].join(' or ')}` });
  }
  if (issues.length > 0) throw new ValidationError(subject, issues);
  return out;
}

/** 64-bit integers (hyparquet's bigint) as numbers where exact, recursively through lists and structs. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/**
 * Every row of a Parquet file as a plain object: all columns, nested lists and structs as arrays
 * and objects (the official SPPO datasets' message lists and K x K matrices), integers as numbers.
 * For readers that check the rows themselves (`./sppo judge --data`, `./sppo train --triplets`).
 * Throws ValidationError (subject `subject`) for bytes that are not a readable Parquet file.
 */
export async function readParquetRows(bytes: Uint8Array, { subject = 'Parquet file' }: { subject?: string } = {}): Promise<Record<string, unknown>[]> {
  const file = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(file);
  } catch (error) {
    throw new ValidationError(subject, [{ path: '', message: `not a readable Parquet file (${(error as Error).message})` }]);
  }
  try {
    const rows = await parquetReadObjects({ file, metadata, compressors: COMPRESSORS });
    return rows.map((row) => plain(row) as Record<string, unknown>);
  } catch (error) {
    throw new ValidationError(subject, [{ path: '', message: `the Parquet data could not be decoded (${(error as Error).message}): the file is corrupt or uses an unsupported codec (supported: UNCOMPRESSED, SNAPPY, GZIP, BROTLI, LZ4, LZ4_RAW, ZSTD)` }]);
  }
}
