/**
 * Identifier schemas. Every S3 key is built only from values that passed these checks, so nothing
 * a user sends becomes a raw key (ARCHITECTURE 3.2: every key derivable from run id, round, shard).
 */
import { z } from 'zod';
import { InvalidIdError } from './errors.ts';

/** Lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters. */
export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Rounds are 0-based: round t trains checkpoint t into checkpoint t+1. */
export const MAX_ROUND = 9_999;
export const MAX_SHARD = 99_999;
/** A file inside a checkpoint or train-state folder: no separators, no leading dot. */
export const FILE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export const runIdSchema = z
  .string()
  .regex(RUN_ID_PATTERN, {
    message: 'run id must be 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit',
  })
  .describe('Run id: 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit.');

export const roundSchema = z
  .number()
  .int()
  .min(0)
  .max(MAX_ROUND)
  .describe('0-based SPPO iteration; round t uses checkpoint t and produces checkpoint t+1.');

export const shardSchema = z.number().int().min(0).max(MAX_SHARD).describe('0-based shard index within a round.');

export const fileNameSchema = z
  .string()
  .regex(FILE_NAME_PATTERN, { message: 'file name must be 1-128 characters of A-Z, a-z, 0-9, ".", "_", "-" and not start with "." or "-"' })
  .refine((name) => !name.includes('..'), { message: 'file name must not contain ".."' });

export type RunId = z.infer<typeof runIdSchema>;

/** Throws InvalidIdError unless `run` is a valid run id; returns it for chaining. */
export function assertRunId(run: unknown): string {
  if (typeof run !== 'string' || !RUN_ID_PATTERN.test(run)) {
    throw new InvalidIdError(
      `Invalid run id ${JSON.stringify(run)}: use 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit (e.g. "demo-1").`,
    );
  }
  return run;
}

/** Throws InvalidIdError unless `round` is an integer in [0, MAX_ROUND]. */
export function assertRound(round: unknown): number {
  if (typeof round !== 'number' || !Number.isInteger(round) || round < 0 || round > MAX_ROUND) {
    throw new InvalidIdError(`Invalid round ${JSON.stringify(round)}: expected an integer from 0 to ${MAX_ROUND}.`);
  }
  return round;
}

/** Throws InvalidIdError unless `shard` is an integer in [0, MAX_SHARD]. */
export function assertShard(shard: unknown): number {
  if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 0 || shard > MAX_SHARD) {
    throw new InvalidIdError(`Invalid shard ${JSON.stringify(shard)}: expected an integer from 0 to ${MAX_SHARD}.`);
  }
  return shard;
}

/** Throws InvalidIdError unless `file` is a plain file name (no '/', no '..', no leading '.'). */
export function assertFileName(file: unknown): string {
  if (typeof file !== 'string' || !fileNameSchema.safeParse(file).success) {
    throw new InvalidIdError(
      `Invalid file name ${JSON.stringify(file)}: expected 1-128 characters of A-Z, a-z, 0-9, ".", "_", "-", not starting with "." or "-" and without "..".`,
    );
  }
  return file;
}
