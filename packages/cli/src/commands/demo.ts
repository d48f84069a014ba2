// `./sppo demo`: the embedded default. Builds (once, cached) the demo task's base policy and judge,
// starts the local stack (S3 + SQS emulator, gateway, events worker, one worker of each service),
// submits a multi-round SPPO run through the HTTP API, follows it live, evaluates every iteration
// on held-out prompts with the exact oracle and the learned judge, and prints the per-round table.
// `--compare sppo,sigmoid,ipo` runs the same task, budget and seeds for each loss type.
// `--report FILE` writes the report as JSON and a PNG chart beside it. `--keep` leaves the stack
// and its finished runs up after the report and prints the dashboard's URL, until Ctrl-C.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { applyOverrides, ConfigError } from '@sppo/core';
import {
  compareReport,
  DEFAULT_RUN_RECIPE,
  createProgressDisplay,
  DEMO_LOSS_TYPES,
  ensureDemoAssets,
  formatCompareTable,
  formatFooter,
  formatReportTable,
  renderChartPng,
  DemoRunError,
  runDemo,
  type DemoApi,
  type DemoStack,
  singleReport,
  type DemoLossType,
} from '@sppo/demo';
import { ApiCallError, createApiClient, unwrap, type ApiClient } from '@sppo/gateway';
import { parseArgs } from '../args.ts';
import { UsageError } from '../errors.ts';
import { startLocalStack, type LocalStack } from '../local-stack.ts';
import { workspaceRoot } from '../paths.ts';

const USAGE =
  './sppo demo [--report=FILE.json] [--compare=sppo,sigmoid,ipo] [--out=DIR] [--cache=DIR] [--eval-samples=N] [--keep] [--<run config field>=VALUE ...]';
const CLI_OPTIONS = ['report', 'compare', 'out', 'cache', 'eval-samples'];

/** The demo's API calls over the gateway's typed client (generated from its OpenAPI document). */
export function demoApi(api: ApiClient): DemoApi {
  const call = async <T>(request: Promise<{ data?: T; error?: unknown; response: Response }>, what: string): Promise<T> => {
    try {
      return await unwrap(request, what);
    } catch (error) {
      throw error instanceof ApiCallError ? new DemoRunError(error.message) : error;
    }
  };
  return {
    createRun: (config) => call(api.POST('/v1/runs', { body: config }), 'POST /v1/runs'),
    getRun: (id) => call(api.GET('/v1/runs/{id}', { params: { path: { id } } }), `GET /v1/runs/${id}`),
  };
}

/** The stack of `./sppo up` on free loopback ports, quiet: every process logs to `{dir}/logs/`. */
export async function startDemoStack(dir: string): Promise<LocalStack & DemoStack> {
  const stack = await startLocalStack({ dataDir: join(dir, 'emulator'), logDir: join(dir, 'logs'), cacheDir: join(dir, 'cache'), tenant: 'demo', queuePrefix: 'demo' });
  return { ...stack, api: demoApi(createApiClient({ baseUrl: stack.gatewayUrl, apiKey: stack.apiKey })) };
}

/** --keep: the stack stays up (the dashboard shows the finished runs) until Ctrl-C. */
async function keepUntilInterrupted(stack: LocalStack): Promise<void> {
  console.log(`\ndashboard ${stack.dashboardUrl}\nThe stack stays up with the demo's runs; Ctrl-C stops it.`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await stack.close();
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name} must be an integer >= 1, got ${JSON.stringify(value)}`);
  return Number(value);
}

function parseCompare(value: string | undefined): DemoLossType[] {
  if (value === undefined) return ['sppo'];
  const types = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = types.filter((t) => !(DEMO_LOSS_TYPES as readonly string[]).includes(t));
  if (types.length === 0 || bad.length > 0) {
    throw new UsageError(`--compare takes loss types separated by commas, from ${DEMO_LOSS_TYPES.join(', ')} (sigmoid = iterative DPO, ipo = iterative IPO); got ${JSON.stringify(value)}`);
  }
  return [...new Set(types)] as DemoLossType[];
}

export async function runDemoCommand(argv: string[]): Promise<number> {
  const started = performance.now();
  const args = parseArgs(argv, { flagNames: ['keep'] });
  const keep = args.flags.delete('keep');
  if (args.positionals.length > 0 || args.flags.size > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0] ?? [...args.flags][0])}. Usage: ${USAGE}`);
  const root = workspaceRoot();
  const lossTypes = parseCompare(args.options.get('compare'));
  const reportPath = args.options.get('report');
  const evalSamples = positiveInt(args.options.get('eval-samples'), 'eval-samples');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const out = resolve(root, args.options.get('out') ?? join('.data', 'demo', stamp));
  const cacheRoot = resolve(root, args.options.get('cache') ?? join('.sppo', 'demo-cache'));
  const overrides = Object.fromEntries([...args.options].filter(([name]) => !CLI_OPTIONS.includes(name)));
  try {
    applyOverrides(DEFAULT_RUN_RECIPE, overrides); // every run-config problem reported before anything starts
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${error.message}\nUsage: ${USAGE}`);
    throw error;
  }

  const display = createProgressDisplay();
  display.log(`SPPO demo: ${lossTypes.join(', ')}; output in ${out}`);
  const assets = await ensureDemoAssets({
    cacheRoot,
    log: (line) => {
      const m = /^(base policy \(SFT\)|judge \(mini-PairRM\)): (step (\d+)\/(\d+).*)$/.exec(line);
      if (m) display.update({ scope: 'assets', stage: m[1] as string, steps: { done: Number(m[3]), total: Number(m[4]) } });
      else display.log(line);
    },
  });
  display.log(`assets ready: judge held-out accuracy ${(100 * Number(assets.info['judge/eval_accuracy'])).toFixed(1)}%`);
  display.update({ scope: 'setup', stage: 'starting the emulator, gateway, events worker and services' });
  const stack = await startDemoStack(out);
  // Ctrl-C: stop the services and the emulator (their state stays in --out), then exit.
  const interrupt = (signal: NodeJS.Signals): void => {
    display.log(`${signal}: stopping the stack; the run's state stays in ${out}`);
    void stack.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let result;
  try {
    result = await runDemo({
      stack,
      assets,
      lossTypes,
      overrides,
      artifactsRoot: join(out, 'artifacts'),
      display,
      ...(evalSamples === undefined ? {} : { evaluation: { samplesPerPrompt: evalSamples } }),
    });
  } catch (error) {
    // A run that failed or stalled is the demo's answer, not a crash: say why and where to look.
    if (!(error instanceof DemoRunError)) throw error;
    console.error(`sppo demo: ${error.message}\nThe services' logs and the run's objects are in ${out}`);
    if (keep) await keepUntilInterrupted(stack);
    return 1;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    if (!keep) {
      display.update({ scope: 'teardown', stage: 'stopping the stack' });
      await stack.close();
    }
    display.done();
  }
  const elapsed = (performance.now() - started) / 1000;
  const report = lossTypes.length > 1 ? compareReport(result, elapsed) : singleReport(result, elapsed);
  const table = 'compare' in report ? formatCompareTable(report) : formatReportTable(report);
  const artifacts = result.reports.map((r) => r.artifacts_dir);
  console.log('');
  console.log(table);
  console.log('');
  console.log('WR = win rate on held-out prompts in %, [95% CI] over prompts; styles in % of responses (Nash: 33/33/33); loss = mean training loss of the round.');
  console.log(formatFooter(report, artifacts));
  if (reportPath !== undefined) {
    const path = resolve(process.cwd(), reportPath);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
    const png = path.replace(/\.json$/i, '') + '.png';
    await writeFile(png, await renderChartPng(report));
    console.log(`report: ${path}\nchart: ${png}`);
  }
  if (keep) await keepUntilInterrupted(stack);
  return 0;
}
