/**
 * Recipe tuning on the VALIDATION split (never the held-out prompts the report uses): starts the
 * demo's local stack once, then runs `./sppo demo`'s pipeline (runDemo: real HTTP API, queues,
 * emulator, the three services) for each named variant of the run recipe, evaluates on the
 * validation prompts and prints one compact table per variant. How the demo's recipe was chosen
 * (packages/demo/README.md, "How the recipe was chosen").
 *
 *   ./sppo exec node packages/demo/scripts/tune.ts [--assets=JSON] [--out=DIR] [--results=FILE.jsonl] \
 *     'NAME={"learning_rate":2e-3}' 'NAME2={"loss_type":"ipo"}' ...
 *
 * --assets: a JSON object merged (deeply) over DEFAULT_ASSET_RECIPE, to try another pi_0 or judge
 * (built once into the cache, like the demo's). A variant's JSON is merged over DEFAULT_RUN_RECIPE.
 */
import { appendFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunConfigInput } from '@sppo/core';
// The stack as `./sppo demo` starts it (packages/cli depends on this package, so a script, not the
// library, reaches for it, as tests/demo.test.ts does).
import { startDemoStack } from '../../cli/src/commands/demo.ts';
import {
  createProgressDisplay,
  DEFAULT_ASSET_RECIPE,
  ensureDemoAssets,
  formatNashLine,
  formatReportTable,
  runDemo,
  singleReport,
  type AssetRecipe,
  type DemoLossType,
} from '../src/index.ts';
import { deepMerge, parseJson, type Json } from './recipe-args.ts';

const options = new Map<string, string>();
const variants: { name: string; recipe: Json }[] = [];
for (const arg of process.argv.slice(2)) {
  const option = /^--([a-z-]+)=(.*)$/s.exec(arg);
  if (option) options.set(option[1] as string, option[2] as string);
  else {
    const variant = /^([\w.+-]+)=(.*)$/s.exec(arg);
    if (!variant) throw new Error(`expected --assets=JSON, --out=DIR, --results=FILE or NAME=JSON, got ${JSON.stringify(arg)}`);
    variants.push({ name: variant[1] as string, recipe: parseJson(variant[2] as string, `variant ${variant[1]}`) });
  }
}
if (variants.length === 0) variants.push({ name: 'recipe', recipe: {} });

const recipe: AssetRecipe = deepMerge(DEFAULT_ASSET_RECIPE, parseJson(options.get('assets') ?? '{}', '--assets'));
const cacheRoot = resolve(options.get('cache') ?? join('.sppo', 'demo-cache'));
const out = options.get('out') ?? (await mkdtemp(join(tmpdir(), 'sppo-demo-tune-')));
const results = options.get('results');
await mkdir(out, { recursive: true });

const started = performance.now();
const assets = await ensureDemoAssets({ cacheRoot, recipe, log: (line) => (/step \d+\//.test(line) && !/step \d*00\//.test(line) ? undefined : console.log(line)) });
console.log(`assets (${((performance.now() - started) / 1000).toFixed(0)} s): ${JSON.stringify(assets.info)}`);
const stack = await startDemoStack(out);
try {
  for (const { name, recipe: runRecipe } of variants) {
    const t0 = performance.now();
    const lossType = (runRecipe['loss_type'] as DemoLossType | undefined) ?? 'sppo';
    const result = await runDemo({
      stack,
      assets,
      lossTypes: [lossType],
      recipe: runRecipe as RunConfigInput,
      evaluation: { samplesPerPrompt: 8, split: 'validation' },
      artifactsRoot: join(out, 'artifacts'),
      display: createProgressDisplay({ write: () => undefined, tty: false }),
    });
    const report = singleReport(result, (performance.now() - t0) / 1000);
    console.log(`\n== ${name} ${JSON.stringify(runRecipe)} (${report.elapsed_s.toFixed(0)} s, validation split)\n${formatReportTable(report)}\n${formatNashLine(report.style_games)}\njudge agreement ${(100 * (report.judge_agreement ?? Number.NaN)).toFixed(1)}%`);
    if (results !== undefined) await appendFile(results, `${JSON.stringify({ name, assets: options.get('assets') ?? '{}', recipe: runRecipe, report })}\n`);
  }
} finally {
  await stack.close();
}
