/**
 * JSONL shards: one JSON object a line. The reader reports EVERY bad line with its 1-based number
 * (ARCHITECTURE 3.3, STYLE guideline 7), not only the first.
 */
import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors.ts';
import { toValidationIssues } from '../config/issues.ts';

/** Serialises rows as JSONL (newline-terminated, no blank lines). */
export function toJsonl(rows: readonly unknown[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

/**
 * Parses JSONL text against a row schema. Blank lines (and a trailing newline) are skipped.
 * Throws ValidationError whose issues are positioned `line N` or `line N: field.path`.
 */
export function parseJsonl<S extends z.ZodType>(text: string, schema: S, { subject = 'JSONL shard' }: { subject?: string } = {}): z.output<S>[] {
  const rows: z.output<S>[] = [];
  const issues: ValidationIssue[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? '').trim();
    if (line === '') continue;
    const where = `line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line) as unknown;
    } catch (error) {
      issues.push({ path: where, message: `not JSON: ${(error as Error).message}` });
      continue;
    }
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) {
      rows.push(result.data);
    } else {
      for (const issue of toValidationIssues(result.error.issues, schema)) {
        issues.push({ ...issue, path: issue.path === '' ? where : `${where}: ${issue.path}` });
      }
    }
  }
  if (issues.length > 0) throw new ValidationError(subject, issues);
  return rows;
}
