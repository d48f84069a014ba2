// `./sppo run RECIPE.yaml [--key=value ...]`: validate a run recipe locally (core's schema, with
// strict --key=value overrides), submit it to a gateway and follow it to the end, one line per
// change. Exit 0 when the run completes, 1 when it fails or is cancelled. Recipes are YAML run
// configs (recipes/ has the paper's and a local one).
// `model_name_or_path: preset:NAME` (tiny or small) is a random-init checkpoint this command builds
// first (./sppo init-model --preset NAME --seed <the run's seed>) into --models-dir (default
// .data/models/, reused when complete) and submits as that local folder: it lets a recipe run on a
// local stack (./sppo up, whose workers share this disk) with nothing downloaded.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { applyOverrides, ConfigError, type ApiSchemas, type RunConfig } from '@sppo/core';
import { CheckpointExistsError, PRESET_NAMES } from '@sppo/model';
import { createApiClient, type ApiClient } from '@sppo/gateway';
import { parse as parseYaml } from 'yaml';
import { parseArgs } from '../args.ts';
import { UsageError } from '../errors.ts';
import { printNewEvalRows } from '../eval-table.ts';
import { workspaceRoot } from '../paths.ts';
import { runInitModel } from './init-model.ts';

const USAGE = './sppo run RECIPE.yaml [--gateway=URL] [--api-key=KEY] [--no-follow] [--interval=2] [--models-dir=.data/models] [--<config field>=VALUE ...]';
const CLI_OPTIONS = ['gateway', 'api-key', 'interval', 'models-dir'];
const PRESET_PREFIX = 'preset:';

/** The config with a `preset:NAME` model replaced by the folder of that random-init checkpoint, built if missing. */
export async function resolvePresetModel(config: RunConfig, modelsDir: string): Promise<RunConfig> {
  const model = config.model_name_or_path;
  if (!model.startsWith(PRESET_PREFIX)) return config;
  const name = model.slice(PRESET_PREFIX.length);
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`model_name_or_path ${JSON.stringify(model)}: unknown preset; use one of ${PRESET_NAMES.map((p) => PRESET_PREFIX + p).join(', ')}, or a checkpoint folder / bucket prefix`);
  }
  const dir = resolve(modelsDir, `${name}-seed${config.seed}`);
  const complete = await stat(join(dir, '_COMPLETE')).then(() => true, () => false);
  if (!complete) {
    try {
      await runInitModel(['--out', dir, '--preset', name, '--seed', String(config.seed)]);
    } catch (e) {
      // Another run built it meanwhile: the same options give the same bytes.
      if (!(e instanceof CheckpointExistsError)) throw e;
    }
  }
  console.log(`model ${model}: ${dir} (./sppo init-model --preset ${name} --seed ${config.seed})`);
  return { ...config, model_name_or_path: dir };
}

type RunView = ApiSchemas['RunView'];

/** A call through the typed client; a connection failure says how to start a gateway. */
async function call<T>(base: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw new UsageError(`cannot reach the gateway at ${base} (${(error as Error).message}): start one with ./sppo up or pass --gateway=URL`);
  }
}

const errorText = (error: ApiSchemas['Error'] | undefined, status: number): string => (error === undefined ? `HTTP ${status}` : JSON.stringify(error.error));

function describe(view: RunView): string {
  if (view.current_round === null) return `all ${view.num_iterations} rounds done${view.stage === 'evaluating' ? ', evaluating' : ''}, status ${view.status}`;
  const { shards, generated, judged } = view.progress;
  return `round ${view.current_round}/${view.num_iterations}: ${view.stage}, generated ${generated}/${shards}, judged ${judged}/${shards}, status ${view.status}`;
}

async function follow(api: ApiClient, base: string, runId: string, intervalMs: number): Promise<number> {
  let last = '';
  const printedEval = new Set<number>();
  for (;;) {
    const { data: view, error, response } = await call(base, () => api.GET('/v1/runs/{id}', { params: { path: { id: runId } } }));
    if (view === undefined) {
      console.error(`sppo run: GET /v1/runs/${runId} answered HTTP ${response.status}: ${errorText(error, response.status)}`);
      return 1;
    }
    // The evaluation table's new rows first, so the last one precedes the "completed" line.
    printNewEvalRows(view.evaluation.table, printedEval);
    const line = describe(view);
    if (line !== last) console.log(`${new Date().toISOString()} ${line}`);
    last = line;
    if (view.status === 'completed') return 0;
    if (view.status === 'failed' || view.status === 'cancelled') {
      if (view.status_reason) console.error(`run ${runId} ${view.status}: ${view.status_reason}`);
      for (const f of view.failures) console.error(`  ${f.stage} round ${f.round}${f.shard === undefined ? '' : ` shard ${f.shard}`}: ${f.reason}`);
      console.error(`resume with: curl -X POST -H "authorization: Bearer $SPPO_API_KEY" ${base}/v1/runs/${runId}/resume`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function runRun(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flagNames: ['no-follow'] });
  const [recipePath, ...extra] = args.positionals;
  if (recipePath === undefined || extra.length > 0) throw new UsageError(`give one recipe file. Usage: ${USAGE}`);
  const base = (args.options.get('gateway') ?? process.env.SPPO_GATEWAY_URL ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
  const key = args.options.get('api-key') ?? process.env.SPPO_API_KEY;
  if (key === undefined) throw new UsageError('no API key: pass --api-key=KEY or set SPPO_API_KEY (./sppo up prints one)');
  const intervalText = args.options.get('interval') ?? '2';
  const intervalMs = Number(intervalText) * 1000;
  if (!Number.isFinite(intervalMs) || intervalMs < 100) throw new UsageError(`--interval must be a number of seconds >= 0.1, got ${JSON.stringify(intervalText)}`);

  let recipe: unknown;
  try {
    recipe = parseYaml(await readFile(recipePath, 'utf8')) ?? {};
  } catch (error) {
    throw new UsageError(`cannot read recipe ${recipePath}: ${(error as Error).message}`);
  }
  if (typeof recipe !== 'object' || recipe === null || Array.isArray(recipe)) throw new UsageError(`recipe ${recipePath} must be a YAML mapping of run config fields`);
  const overrides = Object.fromEntries([...args.options].filter(([name]) => !CLI_OPTIONS.includes(name)));
  let config;
  try {
    config = applyOverrides(recipe as Record<string, unknown>, overrides);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }

  const modelsDir = args.options.get('models-dir');
  config = await resolvePresetModel(config, modelsDir === undefined ? resolve(workspaceRoot(), '.data/models') : resolve(modelsDir));

  // The typed client generated from the gateway's OpenAPI document (@sppo/gateway createApiClient).
  const api = createApiClient({ baseUrl: base, apiKey: key });
  const { data: created, error, response } = await call(base, () => api.POST('/v1/runs', { body: config }));
  if (created === undefined) {
    console.error(`sppo run: the gateway refused the run (HTTP ${response.status}): ${errorText(error, response.status)}`);
    return 1;
  }
  const runId = created.run_id;
  console.log(`run ${runId}: ${created.num_iterations} rounds of ${created.shards_per_round} shards`);
  console.log(`dashboard: ${base}/runs/${runId}`);
  if (args.flags.has('no-follow')) return 0;
  return follow(api, base, runId, intervalMs);
}
