/**
 * Reading a stage service's process environment (the main.ts of the generator, judge and trainer):
 * the cloud settings (cloudConfigFromEnv), the local cache folder, and the queue settings the stack
 * sets (SPPO_VISIBILITY_TIMEOUT_SECONDS, SPPO_MAX_RECEIVE_COUNT). For process entries only: an
 * invalid value is logged as `config.invalid` with how to fix it and the process exits with code 2.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudConfigFromEnv, type CloudConfig } from './config.ts';
import type { Logger } from './logger.ts';

/** The positive integer in environment variable `name`, `fallback` when unset or blank; exits 2 otherwise. */
export function positiveIntFromEnv<F extends number | undefined>(logger: Logger, name: string, fallback: F): number | F {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    logger.error('config.invalid', { variable: name, value: raw, hint: `unset it or give a positive integer${fallback === undefined ? '' : `, e.g. ${fallback}`}` });
    process.exit(2);
  }
  return value;
}

/**
 * The `--key=value` / `--key value` options of a stage service's command line; `switches` take no
 * value. An unknown option or a missing value is logged as `config.invalid` with the valid options
 * and the process exits with code 2.
 */
export function stageFlagsFromArgv(logger: Logger, argv: readonly string[], valid: readonly string[], switches: readonly string[] = []): Map<string, string> {
  const fail = (message: string): never => {
    logger.error('config.invalid', { error: message });
    process.exit(2);
  };
  const names = [...valid, ...switches].map((v) => `--${v}`).join(', ');
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) fail(`unexpected argument "${arg}"; valid options: ${names}`);
    const [key, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (switches.includes(key)) flags.set(key, 'true');
    else if (valid.includes(key)) flags.set(key, inline ?? argv[++i] ?? fail(`--${key} needs a value`));
    else fail(`unknown option --${key}; valid options: ${names}`);
  }
  return flags;
}

export interface StageEnvOptions {
  logger: Logger;
  /** The variable naming the local cache folder, e.g. SPPO_JUDGE_CACHE_DIR. */
  cacheDirVariable: string;
  /** The cache folder's name under the OS temp dir when the variable is unset. */
  defaultCacheDirName: string;
  /** The stage queue's visibility timeout when SPPO_VISIBILITY_TIMEOUT_SECONDS is unset (bootstrap's value). */
  defaultVisibilityTimeoutSeconds: number;
}

export interface StageEnv {
  cloud: CloudConfig;
  cacheDir: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

export function stageEnvFromProcess({ logger, cacheDirVariable, defaultCacheDirName, defaultVisibilityTimeoutSeconds }: StageEnvOptions): StageEnv {
  let cloud: CloudConfig;
  try {
    cloud = cloudConfigFromEnv();
  } catch (error) {
    logger.error('config.invalid', { error: (error as Error).message });
    process.exit(2);
  }
  return {
    cloud,
    cacheDir: process.env[cacheDirVariable] ?? join(tmpdir(), defaultCacheDirName),
    visibilityTimeoutSeconds: positiveIntFromEnv(logger, 'SPPO_VISIBILITY_TIMEOUT_SECONDS', defaultVisibilityTimeoutSeconds),
    maxReceiveCount: positiveIntFromEnv(logger, 'SPPO_MAX_RECEIVE_COUNT', 5),
  };
}
