/**
 * The per-tenant limits' settings (issue 18), read with the other gateway settings (config.ts)
 * from Worker vars or process.env, the same names either way:
 *
 *   SPPO_LIMIT_RUNNING_RUNS          runs of one tenant running at once          default 10
 *   SPPO_LIMIT_PROMPTS_PER_RUN       prompts in one run's pool                   default 100000
 *   SPPO_LIMIT_REQUESTS_PER_MINUTE   sustained /v1 requests per API key          default 600
 *   SPPO_LIMIT_REQUEST_BURST         requests a key may make at once above it    default 120
 *
 * 0 switches a limit off (not the burst, which is at least 1). Enforcement is in limits.ts.
 * No imports of the error module: config.ts imports this file and errors.ts imports config.ts.
 */

/** The limits' names as the API reports them (`details.limit` of a 429). */
export const LIMIT_NAMES = ['requests_per_minute', 'running_runs_per_tenant', 'prompts_per_run'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export interface LimitSettings {
  /** Runs of one tenant whose status is running (created and not finished), at most; 0 = no limit. */
  runningRunsPerTenant: number;
  /** Prompts in one run's pool, at creation and after POST /v1/runs/{id}/prompts; 0 = no limit. */
  promptsPerRun: number;
  /** Sustained requests a minute per API key (a token bucket refilled at this rate); 0 = no limit. */
  requestsPerMinute: number;
  /** The bucket's size: requests a key may make back to back before the rate applies. */
  requestBurst: number;
}

export const DEFAULT_LIMITS: Readonly<LimitSettings> = { runningRunsPerTenant: 10, promptsPerRun: 100_000, requestsPerMinute: 600, requestBurst: 120 };

/** Every limit switched off: for tests that are not about limits, and for benchmarks of the API itself. */
export const NO_LIMITS: Readonly<LimitSettings> = { runningRunsPerTenant: 0, promptsPerRun: 0, requestsPerMinute: 0, requestBurst: 1 };

/** Each setting: its variable, its valid range and what it means (for the error messages). */
export const LIMIT_VARIABLES: Record<keyof LimitSettings, { variable: string; min: number; max: number; what: string }> = {
  runningRunsPerTenant: { variable: 'SPPO_LIMIT_RUNNING_RUNS', min: 0, max: 100_000, what: 'running runs per tenant' },
  promptsPerRun: { variable: 'SPPO_LIMIT_PROMPTS_PER_RUN', min: 0, max: 100_000_000, what: 'prompts per run' },
  requestsPerMinute: { variable: 'SPPO_LIMIT_REQUESTS_PER_MINUTE', min: 0, max: 10_000_000, what: 'requests per minute per API key' },
  requestBurst: { variable: 'SPPO_LIMIT_REQUEST_BURST', min: 1, max: 10_000_000, what: 'request burst per API key' },
};

/**
 * Reads the limits, pushing one problem per bad variable onto `problems` (the caller reports them
 * all at once). Worker vars may be JSON numbers or strings; both are accepted.
 */
export function limitSettingsFromEnv(env: Record<string, unknown>, problems: string[]): LimitSettings {
  const out = { ...DEFAULT_LIMITS };
  for (const [field, { variable, min, max, what }] of Object.entries(LIMIT_VARIABLES) as [keyof LimitSettings, (typeof LIMIT_VARIABLES)[keyof LimitSettings]][]) {
    const raw = env[variable];
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) continue;
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      const off = min === 0 ? ', 0 = no limit' : '';
      problems.push(`${variable} ${JSON.stringify(raw)} is invalid: ${what}, an integer from ${min} to ${max}${off} (default ${DEFAULT_LIMITS[field]})`);
      continue;
    }
    out[field] = value;
  }
  return out;
}
