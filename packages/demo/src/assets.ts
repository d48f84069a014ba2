/**
 * The demo's models, rebuilt from seeds (nothing binary is committed) and cached by a hash of
 * everything that shapes them, under `<cacheRoot>/<hash>/`:
 * - `base/`: pi_0, a tiny Llama (packages/model preset `tiny`) with a BPE tokenizer trained on the
 *   task's text, trained with the project's SFT loop (packages/model training: trainPolicy) first
 *   on all-correct rows (when the recipe has a `pretrain` stage), then on rows that mix correct and
 *   wrong answers in unequal styles;
 * - `judge/`: a mini-PairRM trained with the project's judge training (trainMiniPairRM) on
 *   oracle-labelled pairs; its held-out accuracy is kept in `assets.json`;
 * - `data/`: the held-out prompts, the run's prompt pool, the pretraining and SFT rows and the judge
 *   pairs (JSONL).
 * `assets.json` is written last: a folder without it is rebuilt.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTrainingArgs, type TrainingArgsInput } from '@sppo/core';
import {
  createTokenizer,
  DEFAULT_CHAT_TEMPLATE,
  initializeWeights,
  prepareSftData,
  presetConfigForTokenizer,
  trainBpeTokenizer,
  parseJudgeTrainArgs,
  renderGenerationPrompt,
  trainMiniPairRM,
  trainPolicy,
  writePairwiseCheckpoint,
  writeTrainedCheckpoint,
  type JudgeTrainArgs,
  type LoadedTokenizer,
  type PresetName,
  type TrainPolicyOptions,
  type TrainedTokenizer,
} from '@sppo/model';
import { buildDemoData, type DemoData, type DemoDataOptions, type SftRow } from './data.ts';
import { DEFAULT_ASSET_RECIPE } from './recipe.ts';

/** Bump when the task, the oracle or the recipe below changes in a way the hash cannot see. */
export const DEMO_ASSETS_VERSION = 4;

export interface AssetRecipe {
  data: DemoDataOptions;
  policy: {
    preset: PresetName;
    vocabSize: number;
    contextLength: number;
    seed: number;
    /** Stage 1 on `data.pretrainExamples` all-correct rows (pi_0 learns the task); skipped without it. */
    pretrain?: TrainingArgsInput;
    /** Stage 2 (or the only stage) on the mixed SFT rows (pi_0 learns to hedge). */
    sft: TrainingArgsInput;
  };
  judge: Partial<Record<keyof JudgeTrainArgs, number | string>>;
}

export interface DemoAssets {
  dir: string;
  baseDir: string;
  judgeDir: string;
  data: DemoData;
  /** Numbers about the build: SFT loss, judge held-out accuracy, timings. */
  info: Record<string, number | string | boolean>;
}

export function recipeHash(recipe: object): string {
  return createHash('sha256').update(JSON.stringify({ v: DEMO_ASSETS_VERSION, recipe })).digest('hex').slice(0, 16);
}

const jsonl = (rows: readonly unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function policyTokenizer(data: DemoData, recipe: AssetRecipe['policy']): { trained: TrainedTokenizer; tokenizer: LoadedTokenizer } {
  // SFT rows only (they cover the whole prompt space), so the pool's size does not change pi_0.
  const corpus = data.sft.flatMap((r) => [r.prompt, r.response]);
  const trained = trainBpeTokenizer({ corpus, vocabSize: recipe.vocabSize, modelMaxLength: recipe.contextLength });
  return { trained, tokenizer: createTokenizer(trained.tokenizerJson, trained.tokenizerConfig) };
}

async function buildPolicy(dir: string, data: DemoData, recipe: AssetRecipe['policy'], log: (line: string) => void): Promise<Record<string, number>> {
  const { trained, tokenizer } = policyTokenizer(data, recipe);
  const config = presetConfigForTokenizer(recipe.preset, tokenizer, { maxPositionEmbeddings: recipe.contextLength });
  // One training stage over `rows`, from `weights`: its args, result and summary numbers under `name/`.
  const stage = async (name: string, rows: readonly SftRow[], input: TrainingArgsInput, weights: TrainPolicyOptions['weights'], label: string) => {
    const args = parseTrainingArgs(input);
    const result = await trainPolicy({
      config,
      weights,
      data: prepareSftData(rows, { tokenizer, args }).data,
      args,
      padId: tokenizer.padId,
      onStep: (entry, line) => {
        if (entry.step % args.logging_steps === 0) log(`base policy (${label}): ${line}`);
      },
    });
    const numbers = { [`${name}/loss`]: Number(result.summary['train/loss']), [`${name}/steps`]: Number(result.summary['train/steps']), [`${name}/runtime_s`]: Number(result.summary['train/runtime_s']) };
    return { args, result, numbers };
  };
  let weights = initializeWeights(config, { seed: recipe.seed });
  let pretrained: Record<string, number> = {};
  // Stage 1 (when the recipe has one): all-correct rows, so pi_0 knows the rule of every kind before
  // stage 2's mixed rows teach it to hedge (issue 17: from mixed rows alone the tiny model never
  // learned `pick`, greedy 52%, and SPPO had no knowledge to elicit, only a rule to discover).
  if (recipe.pretrain !== undefined && data.pretrain.length > 0) {
    const first = await stage('pretrain', data.pretrain, recipe.pretrain, weights, 'stage 1, correct rows');
    weights = first.result.weights;
    pretrained = first.numbers;
  }
  const { args, result, numbers } = await stage('sft', data.sft, recipe.sft, weights, 'SFT');
  await writeTrainedCheckpoint(dir, {
    base: { config, tokenizerJson: trained.tokenizerJson, tokenizerConfig: trained.tokenizerConfig },
    weights: result.weights,
    trainingArgs: { ...args, task: 'sft', data: 'demo task (packages/demo)' },
    logHistory: result.logHistory,
    summary: result.summary,
    overwrite: true,
  });
  return { ...pretrained, ...numbers };
}

async function buildJudge(dir: string, data: DemoData, recipe: AssetRecipe, log: (line: string) => void): Promise<Record<string, number>> {
  const args = parseJudgeTrainArgs(recipe.judge);
  // The judge sees prompts as the judge service gives them: wrapped in the policy's chat template.
  const { tokenizer } = policyTokenizer(data, recipe.policy);
  if (tokenizer.chatTemplate !== DEFAULT_CHAT_TEMPLATE) throw new Error('buildJudge: the judge cache key assumes the default chat template (assetDirs); add the template to the key before changing it');
  const template = { chatTemplate: tokenizer.chatTemplate, bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken, padToken: tokenizer.padToken };
  const pairs = data.judgePairs.map((p) => ({ ...p, prompt: renderGenerationPrompt(p.prompt, template) }));
  const judge = await trainMiniPairRM({ pairs, args, log: (line) => log(`judge (mini-PairRM): ${line}`) });
  await rm(dir, { recursive: true, force: true });
  await writePairwiseCheckpoint(dir, {
    config: judge.config,
    weights: judge.weights,
    tokenizer: judge.tokenizer,
    trainingArgs: { ...args, data: 'demo task oracle-labelled pairs (packages/demo)' },
    metrics: judge.metrics,
    logHistory: judge.logHistory,
  });
  return { 'judge/eval_accuracy': judge.metrics['eval/accuracy'] ?? Number.NaN, 'judge/train_accuracy': judge.metrics['train/accuracy'] ?? Number.NaN, 'judge/runtime_s': judge.metrics['train/runtime_s'] ?? Number.NaN };
}

export interface EnsureAssetsOptions {
  cacheRoot: string;
  recipe?: AssetRecipe;
  log?: (line: string) => void;
}

/** `<cacheRoot>/v<version>/{policy,judge}-<hash>/`: each hash covers what shapes that model. */
export function assetDirs(cacheRoot: string, recipe: AssetRecipe): { root: string; policy: string; judge: string } {
  const root = join(cacheRoot, `v${DEMO_ASSETS_VERSION}`);
  // Each hash covers exactly the data fields that shape its model (undefined fields drop out of the
  // JSON, so adding an option leaves the caches of recipes without it valid).
  const { seed, pretrainExamples, sftExamples, sftCorrectRate, sftStyleWeights, sftMistakes, judgePairs, judgeUnlistedRate, judgeStylePairRate, judgeBlindSpotRate } = recipe.data;
  const sftData = { seed, pretrainExamples, sftExamples, sftCorrectRate, sftStyleWeights, sftMistakes };
  const policyHash = recipeHash({ data: sftData, policy: recipe.policy });
  // The judge depends on the policy only through the chat template its prompts are wrapped in
  // (policyTokenizer: always the default template), not on pi_0's rows or training.
  const judgeHash = recipeHash({ data: { seed, judgePairs, judgeUnlistedRate, judgeStylePairRate, judgeBlindSpotRate }, chatTemplate: DEFAULT_CHAT_TEMPLATE, judge: recipe.judge });
  return { root, policy: join(root, `policy-${policyHash}`), judge: join(root, `judge-${judgeHash}`) };
}

async function cachedInfo(dir: string): Promise<Record<string, number | string> | undefined> {
  const text = await readFile(join(dir, 'assets.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, number | string>);
}

async function writeInfo(dir: string, info: Record<string, number | string>): Promise<void> {
  await writeFile(join(dir, 'assets.json.tmp'), JSON.stringify(info, null, 2));
  await rename(join(dir, 'assets.json.tmp'), join(dir, 'assets.json'));
}

/** The cached assets for the recipe, built first if missing (deterministic: same recipe, same bytes). */
export async function ensureDemoAssets({ cacheRoot, recipe = DEFAULT_ASSET_RECIPE, log = () => undefined }: EnsureAssetsOptions): Promise<DemoAssets> {
  const dirs = assetDirs(cacheRoot, recipe);
  const paths = { dir: dirs.root, baseDir: join(dirs.policy, 'base'), judgeDir: join(dirs.judge, 'judge') };
  const data = buildDemoData(recipe.data);
  let policyInfo = await cachedInfo(dirs.policy);
  let judgeInfo = await cachedInfo(dirs.judge);
  let cached = true;
  if (policyInfo === undefined) {
    cached = false;
    const started = performance.now();
    await mkdir(join(dirs.policy, 'data'), { recursive: true });
    await writeFile(join(dirs.policy, 'data', 'held-out.jsonl'), jsonl(data.heldOut));
    await writeFile(join(dirs.policy, 'data', 'pool.jsonl'), jsonl(data.pool));
    await writeFile(join(dirs.policy, 'data', 'sft.jsonl'), jsonl(data.sft));
    if (data.pretrain.length > 0) await writeFile(join(dirs.policy, 'data', 'pretrain.jsonl'), jsonl(data.pretrain));
    log(`assets: training the base policy pi_0 into ${dirs.policy} (first run only)`);
    policyInfo = { version: DEMO_ASSETS_VERSION, ...(await buildPolicy(paths.baseDir, data, recipe.policy, log)), 'sft/build_s': (performance.now() - started) / 1000 };
    await writeInfo(dirs.policy, policyInfo);
  }
  if (judgeInfo === undefined) {
    cached = false;
    const started = performance.now();
    await mkdir(join(dirs.judge, 'data'), { recursive: true });
    await writeFile(join(dirs.judge, 'data', 'judge-pairs.jsonl'), jsonl(data.judgePairs));
    log(`assets: training the judge (mini-PairRM) into ${dirs.judge} (first run only)`);
    judgeInfo = { version: DEMO_ASSETS_VERSION, ...(await buildJudge(paths.judgeDir, data, recipe, log)), 'judge/build_s': (performance.now() - started) / 1000 };
    await writeInfo(dirs.judge, judgeInfo);
  }
  if (cached) log(`assets: cached in ${dirs.root}`);
  const hash = recipeHash(recipe);
  return { ...paths, data, info: { ...policyInfo, ...judgeInfo, hash, cached } };
}
