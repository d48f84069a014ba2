/**
 * Typed errors of the SPPO domain. Every message says what was wrong, the valid values and how to
 * fix it (STYLE.md guideline 6). `userError` separates problems in what a user sent (HTTP 4xx, a
 * bad recipe) from internal ones (5xx), so a host can map them without string matching.
 */

/** One validation problem, positioned by its field path (e.g. `prompts[2].prompt`). */
export interface ValidationIssue {
  /** Dotted path with [index] for arrays; '' for the root object. */
  path: string;
  /** What was wrong, in words. */
  message: string;
  /** The accepted values, when the set is finite (enum members, valid keys). */
  validValues?: string[];
}

/** Base class: a named SPPO error that knows whether the user (not the system) caused it. */
export class SppoError extends Error {
  readonly userError: boolean;
  constructor(message: string, options: { userError?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.userError = options.userError ?? true;
  }
}

/** A value did not match its schema; `issues` lists EVERY problem, not only the first. */
export class ValidationError extends SppoError {
  readonly issues: ValidationIssue[];
  /** What was validated, e.g. 'run config', 'queue message', 'generation shard line 4'. */
  readonly subject: string;
  constructor(subject: string, issues: ValidationIssue[], hint?: string) {
    super(formatIssueList(subject, issues, hint));
    this.subject = subject;
    this.issues = issues;
  }
}

/** The run config (or training arguments, or a CLI override) is invalid. */
export class ConfigError extends ValidationError {}

/** An id (run id, round, shard, file name) that must not become part of an S3 key. */
export class InvalidIdError extends SppoError {}

/** Bad input to the preference maths: K < 2, ragged or non-square matrix, NaN, P outside [0, 1]. */
export class PreferenceInputError extends SppoError {
  constructor(message: string) {
    // Matrices come from our own judge, so a bad one is an internal error, not the user's.
    super(message, { userError: false });
  }
}

/** A loss reference was called without the fields its loss type needs. */
export class LossInputError extends SppoError {}

/**
 * At most this many issues are shown in a message or an API answer. A small hostile input (500
 * unknown keys in 10 KB) would otherwise produce an answer a hundred times its size; the first
 * problems are enough to fix, and a re-validation shows the next ones.
 */
export const MAX_REPORTED_ISSUES = 50;

/** The first `max` issues, plus one `(root)` issue saying how many more there are. */
export function capIssues(issues: readonly ValidationIssue[], max = MAX_REPORTED_ISSUES): ValidationIssue[] {
  if (issues.length <= max) return [...issues];
  const more = issues.length - max;
  return [...issues.slice(0, max), { path: '', message: `and ${more} more problem${more === 1 ? '' : 's'} not listed (only the first ${max} are reported): fix these and validate again` }];
}

/** Renders a subject and its issues as one readable, multi-line message (the first MAX_REPORTED_ISSUES). */
export function formatIssueList(subject: string, issues: readonly ValidationIssue[], hint?: string): string {
  const n = issues.length;
  const lines = capIssues(issues).map((issue) => `  - ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`);
  const head = `Invalid ${subject}: ${n} problem${n === 1 ? '' : 's'}`;
  return [head, ...lines, ...(hint === undefined ? [] : [hint])].join('\n');
}
