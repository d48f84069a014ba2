// The smallest schema contract we need from a validator. zod 4's `safeParse` satisfies it, and so
// does any hand-written object, so this package does not depend on @sppo/core or on zod itself.

export type SafeParseResult<T> = { success: true; data: T } | { success: false; error: unknown };

export interface SchemaLike<T> {
  safeParse(value: unknown): SafeParseResult<T>;
}

/** A schema that accepts any value as is (used when the caller passes none). */
export const anySchema: SchemaLike<unknown> = { safeParse: (value) => ({ success: true, data: value }) };

/**
 * One readable line for a validation error: zod-style `issues` become `path: message; ...`,
 * anything else falls back to its message.
 */
export function describeSchemaError(error: unknown): string {
  if (typeof error === 'object' && error !== null && Array.isArray((error as { issues?: unknown }).issues)) {
    const issues = (error as { issues: Array<{ path?: unknown; message?: unknown }> }).issues;
    return issues
      .map((issue) => {
        const path = Array.isArray(issue.path) && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
        return `${path}${String(issue.message ?? 'invalid')}`;
      })
      .join('; ');
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
