// One way to pass options to every command: `--key=value` (or `--key value`), `--flag`, and positionals.
// Keys keep their spelling (TRL's snake_case for training fields, kebab-case for CLI options).
import { UsageError } from './errors.ts';

export interface ParsedArgs {
  options: Map<string, string>;
  flags: Set<string>;
  positionals: string[];
}

export function parseArgs(argv: string[], { flagNames = [] as string[] } = {}): ParsedArgs {
  const options = new Map<string, string>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    if (eq >= 0) {
      options.set(body.slice(0, eq), body.slice(eq + 1));
    } else if (flagNames.includes(body)) {
      flags.add(body);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`option --${body} needs a value (--${body}=VALUE)`);
      options.set(body, next);
      i++;
    }
  }
  return { options, flags, positionals };
}

/** Take a required option out of the parsed set, or fail with the usage line. */
export function requireOption(args: ParsedArgs, name: string, usage: string): string {
  const value = args.options.get(name);
  if (value === undefined) throw new UsageError(`missing --${name}. Usage: ${usage}`);
  args.options.delete(name);
  return value;
}

/** Refuse options nobody consumed, listing the valid ones. */
export function rejectUnknown(args: ParsedArgs, valid: string[]): void {
  const unknown = [...args.options.keys()].filter((k) => !valid.includes(k));
  if (unknown.length > 0) {
    throw new UsageError(`unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `--${k}`).join(', ')}. Valid options: ${valid.map((k) => `--${k}`).join(', ')}`);
  }
}
