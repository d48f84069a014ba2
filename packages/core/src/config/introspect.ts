/**
 * Minimal zod 4 schema introspection: enough to list the valid keys of the object at a path (for
 * "unknown key" errors) and the leaf type of a field (to type `--key=value` overrides). Uses the
 * documented `_zod.def` of zod 4 core.
 */
import type { z } from 'zod';

type AnySchema = z.core.$ZodType;
type Def = { type: string; innerType?: AnySchema; in?: AnySchema; shape?: Record<string, AnySchema>; element?: AnySchema; options?: AnySchema[] };

function defOf(schema: AnySchema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips optional / default / nullable / readonly / pipe wrappers. */
export function unwrapSchema(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType !== undefined && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(def.type)) {
      current = def.innerType;
    } else if (def.type === 'pipe' && def.in !== undefined) {
      current = def.in;
    } else {
      return current;
    }
  }
}

/** The kind of a (unwrapped) schema: 'object', 'array', 'number', 'string', 'enum', 'union', ... */
export function schemaKind(schema: AnySchema): string {
  return defOf(unwrapSchema(schema)).type;
}

/** Object shape of a schema, or of the object members of a union; undefined if none. */
export function objectShape(schema: AnySchema): Record<string, AnySchema> | undefined {
  const def = defOf(unwrapSchema(schema));
  if (def.type === 'object' && def.shape !== undefined) return def.shape;
  if (def.type === 'union' && def.options !== undefined) {
    for (const option of def.options) {
      const shape = objectShape(option);
      if (shape !== undefined) return shape;
    }
  }
  return undefined;
}

export function arrayElement(schema: AnySchema): AnySchema | undefined {
  const def = defOf(unwrapSchema(schema));
  if (def.type === 'array') return def.element;
  if (def.type === 'union' && def.options !== undefined) {
    for (const option of def.options) {
      const element = arrayElement(option);
      if (element !== undefined) return element;
    }
  }
  return undefined;
}

/** Follows a value path (keys and array indexes) into a schema; undefined where it leads nowhere. */
export function schemaAt(schema: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let current: AnySchema | undefined = schema;
  for (const segment of path) {
    if (current === undefined) return undefined;
    if (typeof segment === 'number') {
      current = arrayElement(current);
    } else {
      current = objectShape(current)?.[String(segment)];
    }
  }
  return current;
}

/** Levenshtein distance, for "did you mean" hints on mistyped keys. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/** The closest candidate within a small edit distance, if any. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
