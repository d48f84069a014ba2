/**
 * Where the win rate comes from, on the VALIDATION split (never the held-out prompts): samples each
 * checkpoint (pi_0 of the recipe when none is given) 8 times a prompt, sorts its answers by kind
 * (correct, listed mistake, unlisted mistake, malformed; sampled at temperature 1 and greedy), and
 * scores the recipe's learned judge on its pairs against pi_0's samples, by kind of pair. How the
 * blind spot of session 5 was found (README: unlisted answers growing round after round, and the
 * judge ordering them above the correct one).
 *
 *   ./sppo exec node packages/demo/scripts/diagnose.ts [--assets=JSON] [--cache=DIR] [CHECKPOINT_DIR ...]
 *
 * --assets: a JSON object merged (deeply) over DEFAULT_ASSET_RECIPE, as in tune.ts. A run's
 * checkpoints are under its artifacts: `.../runs/<run>/checkpoints/<t>/`.
 */
import { join, resolve } from 'node:path';
import { loadPairwiseJudge } from '@sppo/model';
import { answerKind, compareResponses, DEFAULT_ASSET_RECIPE, ensureDemoAssets, judgeResponse, readJudgeBudgets, samplePolicy, type AnswerKind, type AssetRecipe, type PolicySamples, type TaskPrompt } from '../src/index.ts';
import { deepMerge, parseJson } from './recipe-args.ts';

const options = new Map<string, string>();
const checkpoints: string[] = [];
for (const arg of process.argv.slice(2)) {
  const option = /^--([a-z-]+)=(.*)$/s.exec(arg);
  if (option) options.set(option[1] as string, option[2] as string);
  else checkpoints.push(resolve(arg));
}
const recipe: AssetRecipe = deepMerge(DEFAULT_ASSET_RECIPE, parseJson(options.get('assets') ?? '{}', '--assets'));
const assets = await ensureDemoAssets({ cacheRoot: resolve(options.get('cache') ?? join('.sppo', 'demo-cache')), recipe, log: (line) => (/step \d+\//.test(line) ? undefined : console.log(line)) });
const prompts = assets.data.validation;
if (prompts.length === 0) throw new Error('diagnose: the recipe has no validation prompts; set data.validationPrompts above 0');
const budgets = await readJudgeBudgets(assets.judgeDir);
const judge = await loadPairwiseJudge(assets.judgeDir, { thread: 'main', maxSourceTokens: budgets.source, maxCandidateTokens: budgets.candidate });
const sampling = { samplesPerPrompt: 8, temperature: 1, topP: 0.9, maxNewTokens: 16 };
const percent = (n: number, of: number): string => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;

/** Per task kind, the share of each kind of answer. */
function answerTable(samples: PolicySamples): string {
  const counts = new Map<string, Record<AnswerKind | 'n', number>>();
  prompts.forEach((p, i) => {
    for (const y of samples.player[i] ?? []) {
      const row = counts.get(p.kind) ?? { correct: 0, listed: 0, unlisted: 0, malformed: 0, n: 0 };
      row[answerKind(p.prompt, y)]++;
      row.n++;
      counts.set(p.kind, row);
    }
  });
  return [...counts].map(([kind, c]) => `  ${kind.padEnd(7)} correct ${percent(c.correct, c.n)}, listed ${percent(c.listed, c.n)}, unlisted ${percent(c.unlisted, c.n)}, malformed ${percent(c.malformed, c.n)}`).join('\n');
}

const base = await samplePolicy(assets.baseDir, prompts, sampling);
for (const dir of checkpoints.length > 0 ? checkpoints : [assets.baseDir]) {
  const sampled = dir === assets.baseDir ? base : await samplePolicy(dir, prompts, sampling);
  const greedy = await samplePolicy(dir, prompts, { ...sampling, samplesPerPrompt: 1, temperature: 0 });
  console.log(`\n== ${dir}\nsampled (temperature 1, top_p 0.9, 8 a prompt):\n${answerTable(sampled)}\ngreedy:\n${answerTable(greedy)}`);
  // The judge on this policy's samples against pi_0's (both orders, debiased), by kind of pair.
  const { pairs, decided, agreed } = await compareResponses(prompts, sampled.player, base.opponent, judge, sampled.promptTexts);
  const byType = new Map<string, { n: number; agreed: number }>();
  for (const { i, j, oracle, judgeLogit } of pairs) {
    if (oracle === 0.5) continue; // undecided by the oracle
    const p = prompts[i] as TaskPrompt;
    const [a, b] = [sampled.player[i]?.[j] as string, base.opponent[i]?.[j] as string];
    const kinds = [answerKind(p.prompt, a), answerKind(p.prompt, b)].sort().join(' vs ');
    const sameStyle = judgeResponse(p.prompt, a).style === judgeResponse(p.prompt, b).style;
    const type = `${p.kind} ${kinds}, ${sameStyle ? 'same style' : 'two styles'}`;
    const row = byType.get(type) ?? { n: 0, agreed: 0 };
    row.n++;
    if (judgeLogit > 0 === oracle > 0.5) row.agreed++;
    byType.set(type, row);
  }
  console.log(`judge vs oracle on decided pairs against pi_0 (% ordered as the oracle orders them): ${percent(agreed, decided)} of ${decided}`);
  for (const [type, row] of [...byType].sort()) console.log(`  ${type.padEnd(44)} ${String(row.n).padStart(4)}  ${percent(row.agreed, row.n)}`);
}
await judge.close?.();
