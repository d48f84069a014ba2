/**
 * Turns zod issues into positioned, actionable ValidationIssues: unknown keys list the valid keys
 * (with a "did you mean"), enums list their values, unions report the branch the input was meant
 * for instead of a bare "Invalid input" (workers-sdk style: collect every problem, then report).
 */
import type { z } from 'zod';
import type { ValidationIssue } from '../errors.ts';
import { closestName, objectShape, schemaAt } from './introspect.ts';

type ZodIssue = z.core.$ZodIssue;

/** `prompts[2].prompt` style path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  const text = JSON.stringify(input);
  return text === undefined ? String(input) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isRootTypeMismatch(branch: readonly ZodIssue[]): boolean {
  return branch.length > 0 && branch.every((issue) => issue.path.length === 0 && issue.code === 'invalid_type');
}

/** Converts zod issues (from `schema.safeParse`) into ValidationIssues, one per problem. */
export function toValidationIssues(
  issues: readonly ZodIssue[],
  schema: z.core.$ZodType,
  basePath: readonly PropertyKey[] = [],
  /** Object paths whose valid keys were already listed (shared by the recursion into unions). */
  listedKeys: Map<string, string> = new Map(),
): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = [...basePath, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const shape = objectShape(schemaAt(schema, path) ?? schema);
        const valid = shape === undefined ? [] : Object.keys(shape);
        const objectPath = formatPath(path);
        for (const key of issue.keys) {
          const guess = closestName(key, valid);
          const keyPath = formatPath([...path, key]);
          const head = `unknown key "${key}"${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`;
          // The valid keys are listed once per object: repeating them on every unknown key made
          // 500 unknown keys (10 KB) a 1.2 MB answer.
          const first = listedKeys.get(objectPath);
          if (first === undefined) {
            listedKeys.set(objectPath, keyPath);
            out.push({ path: keyPath, message: `${head}; valid keys here: ${valid.join(', ')}`, validValues: valid });
          } else {
            out.push({ path: keyPath, message: `${head}; the valid keys here are listed under "${first}"` });
          }
        }
        break;
      }
      case 'invalid_value': {
        const valid = issue.values.map((value) => String(value));
        out.push({
          path: formatPath(path),
          message: `invalid value ${describeInput(issue.input)}; valid values: ${valid.map((v) => `'${v}'`).join(', ')}`,
          validValues: valid,
        });
        break;
      }
      case 'invalid_union': {
        // Discriminated union with an unknown discriminator: list the valid discriminator values.
        const tagged = issue as { discriminator?: string; options?: unknown[] };
        if (tagged.discriminator !== undefined && tagged.options !== undefined) {
          const valid = tagged.options.map((value) => String(value));
          const got = (issue.input as Record<string, unknown> | undefined)?.[tagged.discriminator];
          out.push({
            path: formatPath(path),
            message: `invalid value ${describeInput(got)}; valid values: ${valid.map((v) => `'${v}'`).join(', ')}`,
            validValues: valid,
          });
          break;
        }
        // Report the branch the input was aimed at (the first whose root type matched); when no
        // branch accepts the input's type, the union's own message says which forms are valid.
        const aimed = issue.errors.filter((branch) => !isRootTypeMismatch(branch));
        const best = aimed.sort((a, b) => a.length - b.length)[0];
        if (best !== undefined && best.length > 0) out.push(...toValidationIssues(best, schema, path, listedKeys));
        else out.push({ path: formatPath(path), message: `${issue.message} (got ${describeInput(issue.input)})` });
        break;
      }
      case 'invalid_type': {
        const message =
          issue.input === undefined ? `required ${issue.expected} is missing` : issue.message.replace(/^Invalid input: /, '');
        out.push({ path: formatPath(path), message });
        break;
      }
      case 'too_small':
      case 'too_big': {
        // "Too small: expected number to be >0" -> "must be >0 (got -1)"
        const rule = issue.message.replace(/^Too (small|big): expected \S+ to /, 'must ');
        out.push({ path: formatPath(path), message: issue.input === undefined ? rule : `${rule} (got ${describeInput(issue.input)})` });
        break;
      }
      default:
        out.push({ path: formatPath(path), message: issue.message.replace(/^Invalid input: /, '') });
    }
  }
  return out;
}
