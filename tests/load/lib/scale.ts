/**
 * The load suite's two sizes. `./sppo test` runs `default` (about a minute and a half on 2 cores);
 * `SPPO_LOAD_SCALE=full ./sppo test --no-typecheck --project tests tests/load/` runs the sizes the
 * issue names (3 tenants x 4 runs, 10,000 events, longer API steps).
 */

export interface LoadSize {
  /** Concurrent runs: runs per tenant (3 tenants; also each tenant's running-runs limit). */
  runsPerTenant: number;
  rounds: number;
  /** Prompts per round, in shards of 2. */
  promptsPerRound: number;
  /** Runs the flooding tenant gets admitted in all (it keeps trying; at most runsPerTenant at once). */
  floodRunsTotal: number;
  /** GET /v1/runs per second the flooding tenant sends while the others' runs go on. */
  floodGetRate: number;
  /** Event storm: events injected in all (half in each of two waves), and the runs of each wave. */
  stormEvents: number;
  stormRuns: number;
  stormRounds: number;
  /** API load: offered rates (requests/s) per endpoint and seconds per step. */
  apiRates: number[];
  apiStepSeconds: number;
}

export const LOAD_SIZES: Record<'default' | 'full', LoadSize> = {
  default: {
    runsPerTenant: 2,
    rounds: 2,
    promptsPerRound: 4,
    floodRunsTotal: 3,
    floodGetRate: 40,
    stormEvents: 1_000,
    stormRuns: 2,
    stormRounds: 1,
    apiRates: [10, 30, 90, 270],
    apiStepSeconds: 1,
  },
  full: {
    runsPerTenant: 4,
    rounds: 2,
    promptsPerRound: 4,
    floodRunsTotal: 6,
    floodGetRate: 100,
    stormEvents: 10_000,
    stormRuns: 4,
    stormRounds: 2,
    apiRates: [10, 25, 50, 100, 200, 400, 800, 1600],
    apiStepSeconds: 5,
  },
};

export function loadScale(env: Record<string, string | undefined> = process.env): { name: 'default' | 'full'; size: LoadSize } {
  const raw = env.SPPO_LOAD_SCALE?.trim() || 'default';
  if (raw !== 'default' && raw !== 'full') throw new Error(`SPPO_LOAD_SCALE=${JSON.stringify(raw)} is not a size; valid values: default, full`);
  return { name: raw, size: LOAD_SIZES[raw] };
}
