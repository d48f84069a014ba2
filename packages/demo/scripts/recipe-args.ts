/** What the demo's scripts (tune.ts, diagnose.ts) share: JSON recipe overrides on the command line. */

export type Json = Record<string, unknown>;

/** `over` merged into `base`, objects key by key (arrays and scalars replace). */
export function deepMerge<T>(base: T, over: Json): T {
  const out: Json = { ...(base as Json) };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object'
        ? deepMerge(current, value as Json)
        : value;
  }
  return out as T;
}

export function parseJson(text: string, what: string): Json {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Json;
  } catch (error) {
    throw new Error(`${what} must be a JSON object, got ${JSON.stringify(text)} (${(error as Error).message})`);
  }
}
