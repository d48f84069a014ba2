/**
 * Parsing the run config and CLI overrides. Every problem is collected and reported at once in a
 * ConfigError (nanoGPT-style strict `--key=value` overrides that reject unknown keys).
 */
import type { z } from 'zod';
import { ConfigError, formatIssueList, type ValidationIssue } from '../errors.ts';
import { arrayElement, closestName, objectShape, schemaAt, schemaKind } from './introspect.ts';
import { toValidationIssues } from './issues.ts';
import { runConfigSchema, type RunConfig } from './run-config.ts';
import { trainingArgsSchema, type TrainingArgs } from './training-args.ts';

const CONFIG_HINT = 'Fix the fields listed above; each field, its valid values and its default are described in runConfigSchema (packages/core/README.md).';

/**
 * How deep a config may nest. Real configs nest 3 levels (prompts[i].prompt); zod validates
 * recursively, so a small body nested thousands deep would overflow the stack (a RangeError, an
 * internal error instead of the user's). Hosts should refuse such bodies before parsing (the
 * gateway does); this check makes parseRunConfig safe for every other caller too.
 */
export const MAX_CONFIG_DEPTH = 64;

/** Depth of a JSON-like value (a scalar is 0, `[]` is 1), walked without recursion; stops past `limit` (pass one for values that may have cycles). */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    const inner = depth + 1;
    if (inner > deepest) deepest = inner;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, inner]);
  }
  return deepest;
}

function tooDeep(subject: string): ConfigError {
  return new ConfigError(subject, [{ path: '', message: `the value is nested more than ${MAX_CONFIG_DEPTH} levels deep; a run config nests at most a few levels (e.g. prompts[0].prompt)` }], CONFIG_HINT);
}

function parseStrict<S extends z.ZodType>(schema: S, input: unknown, subject: string, extra: ValidationIssue[] = []): z.output<S> {
  if (jsonDepth(input, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH) throw tooDeep(subject);
  let result: z.ZodSafeParseResult<z.output<S>>;
  try {
    result = schema.safeParse(input, { reportInput: true });
  } catch (error) {
    // Belt and braces: a stack overflow inside validation is still the input's fault, not ours.
    if (error instanceof RangeError) throw tooDeep(subject);
    throw error;
  }
  const issues = [...extra, ...(result.success ? [] : toValidationIssues(result.error.issues, schema))];
  if (issues.length > 0 || !result.success) throw new ConfigError(subject, issues, CONFIG_HINT);
  return result.data;
}

/** Validates a run config (JSON body or YAML recipe), filling defaults; throws ConfigError listing every problem. */
export function parseRunConfig(input: unknown): RunConfig {
  return parseStrict(runConfigSchema, input, 'run config');
}

/** Validates only the training group (for the `sft` / `train` commands). */
export function parseTrainingArgs(input: unknown): TrainingArgs {
  return parseStrict(trainingArgsSchema, input, 'training arguments');
}

/** Formats raw zod issues of a config as one readable message (the same text ConfigError carries). */
export function formatConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  { schema = runConfigSchema as z.core.$ZodType, subject = 'run config' }: { schema?: z.core.$ZodType; subject?: string } = {},
): string {
  return formatIssueList(subject, toValidationIssues(issues, schema));
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

type Coerced = { value: unknown } | { error: string };

/** Types one override string by the schema of its field. */
function coerce(raw: string, field: z.core.$ZodType): Coerced {
  const text = raw.trim();
  const kind = schemaKind(field);
  const looksLikeJson = text.startsWith('[') || text.startsWith('{');
  if (looksLikeJson && ['array', 'object', 'union', 'record'].includes(kind)) {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch {
      return { error: `value ${JSON.stringify(raw)} looks like JSON but does not parse` };
    }
  }
  switch (kind) {
    case 'number': {
      const value = Number(text);
      return text === '' || !Number.isFinite(value) ? { error: `expected a number, got ${JSON.stringify(raw)}` } : { value };
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (TRUE_WORDS.has(lower)) return { value: true };
      if (FALSE_WORDS.has(lower)) return { value: false };
      return { error: `expected true or false, got ${JSON.stringify(raw)}` };
    }
    case 'array': {
      const element = arrayElement(field);
      const items = text === '' ? [] : text.split(',').map((item) => item.trim());
      const values: unknown[] = [];
      for (const item of items) {
        const one = element === undefined ? { value: item } : coerce(item, element);
        if ('error' in one) return { error: `list item ${JSON.stringify(item)}: ${one.error}` };
        values.push(one.value);
      }
      return { value: values };
    }
    case 'object':
      return { error: `expected a JSON object or dotted keys (e.g. --prompts.key=data/prompts.jsonl), got ${JSON.stringify(raw)}` };
    default:
      return { value: raw };
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

/**
 * Applies `--key=value` overrides (keys without the dashes, dotted for nested objects such as
 * `prompts.key`) to a config or recipe object, types each value by its field's schema (numbers,
 * booleans, comma-separated or JSON lists) and validates the result. Throws one ConfigError with
 * every unknown key, untypeable value and schema problem.
 */
export function applyOverrides(config: Record<string, unknown> | RunConfig, overrides: Record<string, string>): RunConfig {
  const merged = structuredClone(config) as Record<string, unknown>;
  const problems: ValidationIssue[] = [];
  for (const [rawKey, raw] of Object.entries(overrides)) {
    const key = rawKey.replace(/^--/, '');
    const path = key.split('.');
    const field = path.every((segment) => segment !== '') ? schemaAt(runConfigSchema, path) : undefined;
    if (field === undefined) {
      const parent = path.length > 1 ? schemaAt(runConfigSchema, path.slice(0, -1)) : runConfigSchema;
      const valid = parent === undefined ? [] : Object.keys(objectShape(parent) ?? {});
      const guess = closestName(path[path.length - 1] ?? key, valid);
      problems.push({
        path: key,
        message: `unknown override --${key}${guess === undefined ? '' : ` (did you mean --${[...path.slice(0, -1), guess].join('.')}?)`}; valid keys: ${valid.join(', ')}`,
        validValues: valid,
      });
      continue;
    }
    const typed = coerce(raw, field);
    if ('error' in typed) problems.push({ path: key, message: `--${key}: ${typed.error}` });
    else setPath(merged, path, typed.value);
  }
  return parseStrict(runConfigSchema, merged, 'run config (after overrides)', problems);
}

/** Splits CLI arguments of the form `--key=value` into an overrides record; anything else is an error. */
export function parseOverrideArgs(args: readonly string[]): Record<string, string> {
  const overrides: Record<string, string> = {};
  const problems: ValidationIssue[] = [];
  for (const arg of args) {
    const match = /^--([A-Za-z0-9_.]+)=(.*)$/s.exec(arg);
    if (match === null || match[1] === undefined || match[2] === undefined) {
      problems.push({ path: arg, message: `expected --key=value (e.g. --learning_rate=1e-6), got ${JSON.stringify(arg)}` });
    } else {
      overrides[match[1]] = match[2];
    }
  }
  if (problems.length > 0) throw new ConfigError('command-line overrides', problems);
  return overrides;
}
