// JSONL shards (ARCHITECTURE 3.3): one JSON object a line. Readers report EVERY bad line with its
// 1-based number (STYLE guideline 7), not only the first, so a user can fix a file in one pass.
import { anySchema, describeSchemaError, type SchemaLike } from './schema.ts';

export interface JsonlError {
  /** 1-based line number in the object. */
  line: number;
  message: string;
}

export interface JsonlResult<T> {
  rows: T[];
  errors: JsonlError[];
}

/** One entry of the streaming reader: a parsed row or the reason its line is bad. */
export type JsonlEntry<T> = { line: number; row: T; error?: undefined } | { line: number; row?: undefined; error: string };

/**
 * Splits a stream of byte chunks into lines without holding the whole object in memory.
 * Handles '\n' and '\r\n' endings and multi-byte characters split across chunks.
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let pending = '';
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      yield stripCarriageReturn(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  // A final newline ends the last line; it does not start an empty one.
  if (pending.length > 0) yield stripCarriageReturn(pending);
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Parses and validates one line; blank lines are skipped (undefined). */
export function parseJsonlLine<T>(text: string, line: number, schema: SchemaLike<T>): JsonlEntry<T> | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { line, error: `invalid JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { line, error: describeSchemaError(parsed.error) };
  return { line, row: parsed.data };
}

export async function* parseJsonlStream<T = unknown>(
  chunks: AsyncIterable<Uint8Array | string>,
  schema: SchemaLike<T> = anySchema as SchemaLike<T>,
): AsyncGenerator<JsonlEntry<T>> {
  let line = 0;
  for await (const text of splitLines(chunks)) {
    line += 1;
    const entry = parseJsonlLine(text, line, schema);
    if (entry) yield entry;
  }
}

export async function collectJsonl<T>(entries: AsyncIterable<JsonlEntry<T>>): Promise<JsonlResult<T>> {
  const result: JsonlResult<T> = { rows: [], errors: [] };
  for await (const entry of entries) {
    if (entry.error !== undefined) result.errors.push({ line: entry.line, message: entry.error });
    else result.rows.push(entry.row as T);
  }
  return result;
}

/** Parses a whole JSONL text (for bodies already in memory). */
export function parseJsonl<T = unknown>(text: string, schema: SchemaLike<T> = anySchema as SchemaLike<T>): JsonlResult<T> {
  const result: JsonlResult<T> = { rows: [], errors: [] };
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, index) => {
    const entry = parseJsonlLine(stripCarriageReturn(raw), index + 1, schema);
    if (entry === undefined) return;
    if (entry.error !== undefined) result.errors.push({ line: entry.line, message: entry.error });
    else result.rows.push(entry.row as T);
  });
  return result;
}

/** One row per line, each line a compact JSON object, ending with a newline. */
export function formatJsonl(rows: Iterable<unknown>): string {
  let out = '';
  for (const row of rows) {
    const line = JSON.stringify(row);
    if (line === undefined) throw new TypeError('formatJsonl: a row is not JSON-serialisable (undefined or a function)');
    out += `${line}\n`;
  }
  return out;
}

/** Formats an error list like `line 3: invalid JSON ...` for logs and exceptions. */
export function formatJsonlErrors(errors: readonly JsonlError[], limit = 20): string {
  const shown = errors.slice(0, limit).map((e) => `line ${e.line}: ${e.message}`);
  if (errors.length > limit) shown.push(`... and ${errors.length - limit} more`);
  return shown.join('\n');
}
