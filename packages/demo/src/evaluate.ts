/**
 * Evaluation of a run's policies pi_0..pi_T on held-out prompts, as the paper's Table 1 evaluates
 * its iterations (SPPO-REFERENCE 2.7-2.8): sample each policy, compare its responses with the base
 * policy's (and the previous iteration's) under the exact oracle and under the learned judge, and
 * measure length and style.
 *
 * Each policy is sampled twice per prompt and sample index j: once as the "player" (seed
 * PLAYER_SEED + j) and once as the "opponent" (OPPONENT_SEED + j), so pi_t vs pi_0 compares
 * independent draws, and pi_0 vs pi_0 is a sanity row whose expected win rate is exactly 1/2.
 */
import { createSamplingEngine, renderGenerationPrompt, type PairwiseJudge } from '@sppo/model';
import { nashMix } from './nash.ts';
import { judgeResponse, oracleProbability, rps, STYLE_WEIGHT } from './oracle.ts';
import type { OracleRoundReport, WinRateEntry } from './report.ts';
import { mean, styleDistribution, tvToStyleMix, winRate } from './stats.ts';
import { renderResponse, STYLES, type Style, type TaskPrompt } from './task.ts';

export const PLAYER_SEED = 100_000;
export const OPPONENT_SEED = 200_000;

export interface PolicySamples {
  /** The prompts as the policy saw them (its chat template applied): what the judge is given. */
  promptTexts: string[];
  /** [prompt][j] response text. */
  player: string[][];
  opponent: string[][];
  /** [prompt][j] generated tokens of the player's responses (the end-of-turn token excluded). */
  playerTokens: number[][];
}

export interface SamplingSettings {
  samplesPerPrompt: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  threads?: number;
}

/** Samples one checkpoint folder on the prompts, as player and as opponent. */
export async function samplePolicy(modelDir: string, prompts: readonly TaskPrompt[], s: SamplingSettings): Promise<PolicySamples> {
  const engine = await createSamplingEngine({ modelDir, ...(s.threads === undefined ? {} : { intraOpNumThreads: s.threads }) });
  try {
    const { chatTemplate, bosToken, eosToken, padToken } = engine.info;
    const texts = prompts.map((p) => renderGenerationPrompt(p.prompt, { chatTemplate, bosToken, eosToken, padToken }));
    const rows = (base: number) => texts.flatMap((prompt) => Array.from({ length: s.samplesPerPrompt }, (_, j) => ({ prompt, seed: base + j })));
    const params = { temperature: s.temperature, topP: s.topP, maxNewTokens: s.maxNewTokens };
    const [player, opponent] = [await engine.generate(rows(PLAYER_SEED), params), await engine.generate(rows(OPPONENT_SEED), params)];
    const grid = <T>(flat: readonly T[]): T[][] => prompts.map((_, i) => flat.slice(i * s.samplesPerPrompt, (i + 1) * s.samplesPerPrompt));
    return {
      promptTexts: texts,
      player: grid(player.map((r) => r.text)),
      opponent: grid(opponent.map((r) => r.text)),
      playerTokens: grid(player.map((r) => r.tokenIds.length - (r.finishReason === 'stop' ? 1 : 0))),
    };
  } finally {
    await engine.close();
  }
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export interface Comparison {
  entry: WinRateEntry;
  /** Decided pairs (oracle P != 1/2) and how many of them the judge called the same way. */
  decided: number;
  agreed: number;
  /** Every pair: prompt index i, sample index j, the oracle's P and the judge's debiased logit z(a,b) - z(b,a). */
  pairs: { i: number; j: number; oracle: number; judgeLogit: number }[];
}

/**
 * Win rate of `player` responses against `opponent` responses, prompt by prompt. The judge's
 * probability is sigmoid((z(a,b) - z(b,a)) / 2): the position-debiased logit (Blender.compare
 * "[A,B]+[B,A]", SPPO-REFERENCE 3.4) halved, which is on the scale the mini-PairRM was trained on
 * (its BCE fits sigmoid(z(a,b)) to P in both orders).
 */
export async function compareResponses(
  prompts: readonly TaskPrompt[],
  player: string[][],
  opponent: string[][],
  judge: PairwiseJudge,
  /** The judge's source text per prompt (the templated prompt, as the judge service passes it). */
  judgePrompts: readonly string[] = prompts.map((p) => p.prompt),
): Promise<Comparison> {
  const batch: { prompt: string; candidate1: string; candidate2: string }[] = [];
  prompts.forEach((p, i) => {
    const source = judgePrompts[i] ?? p.prompt;
    (player[i] ?? []).forEach((a, j) => {
      const b = opponent[i]?.[j] as string;
      batch.push({ prompt: source, candidate1: a, candidate2: b }, { prompt: source, candidate1: b, candidate2: a });
    });
  });
  const z = await judge.compare(batch);
  const oracle: number[][] = [];
  const learned: number[][] = [];
  let k = 0;
  let decided = 0;
  let agreed = 0;
  const pairs: Comparison['pairs'] = [];
  prompts.forEach((p, i) => {
    const o: number[] = [];
    const l: number[] = [];
    (player[i] ?? []).forEach((a, j) => {
      const b = opponent[i]?.[j] as string;
      const po = oracleProbability(p.prompt, a, b);
      const debiased = (z[k] as number) - (z[k + 1] as number);
      k += 2;
      pairs.push({ i, j, oracle: po, judgeLogit: debiased });
      o.push(po);
      l.push(sigmoid(debiased / 2));
      if (po !== 0.5) {
        decided++;
        if (debiased > 0 === po > 0.5) agreed++;
      }
    });
    oracle.push(o);
    learned.push(l);
  });
  const wo = winRate(oracle);
  const wl = winRate(learned);
  return { entry: { oracle: wo.mean, judge: wl.mean, ci95: { oracle: wo.ci95, judge: wl.ci95 } }, decided, agreed, pairs };
}

/** A style game: P[i][j] = P(style i beats style j) in STYLES order, and its Nash mix. */
export interface StyleGame {
  preference: number[][];
  nash: Record<Style, number>;
}

const mixOf = (x: readonly number[]): Record<Style, number> => Object.fromEntries(STYLES.map((s, i) => [s, x[i] as number])) as Record<Style, number>;

/** The oracle's game among correct answers: P = sigmoid(STYLE_WEIGHT * rps), Nash uniform. */
export function oracleStyleGame(): StyleGame {
  const preference = STYLES.map((a) => STYLES.map((b) => sigmoid(STYLE_WEIGHT * rps(a, b))));
  return { preference, nash: mixOf(nashMix(preference)) };
}

/**
 * The learned judge's own style game, the one SPPO actually plays (it converges toward the von
 * Neumann winner of the preference it is given, not of the oracle's): on every prompt, the correct
 * answer written in each style, each ordered pair judged in both orders (debiased, as in
 * compareResponses); P[i][j] is the mean over prompts, and its Nash mix is solved by nashMix.
 */
export async function judgeStyleGame(prompts: readonly TaskPrompt[], judge: PairwiseJudge, judgePrompts: readonly string[] = prompts.map((p) => p.prompt)): Promise<StyleGame> {
  if (prompts.length === 0) throw new RangeError('judgeStyleGame: no prompts; give at least one');
  const batch: { prompt: string; candidate1: string; candidate2: string }[] = [];
  prompts.forEach((p, k) => {
    const source = judgePrompts[k] ?? p.prompt;
    for (const a of STYLES) for (const b of STYLES) batch.push({ prompt: source, candidate1: renderResponse(a, p.answer), candidate2: renderResponse(b, p.answer) });
  });
  const z = await judge.compare(batch);
  const n = STYLES.length;
  const preference = STYLES.map((_, i) => STYLES.map((__, j) => (i === j ? 0.5 : 0)));
  prompts.forEach((_, k) => {
    const at = (i: number, j: number): number => z[k * n * n + i * n + j] as number;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const row = preference[i] as number[];
        if (i !== j) row[j] = (row[j] as number) + sigmoid((at(i, j) - at(j, i)) / 2) / prompts.length;
      }
    }
  });
  return { preference, nash: mixOf(nashMix(preference)) };
}

export interface EvaluateOptions {
  /** Checkpoint folder of pi_t at index t (index 0: the base policy). */
  checkpoints: readonly string[];
  prompts: readonly TaskPrompt[];
  judge: PairwiseJudge;
  sampling: SamplingSettings;
  /** Training loss of the round that produced pi_t, at index t (index 0 unused). */
  losses?: readonly (number | null)[];
  /** Samples already drawn, by checkpoint folder (sampling is deterministic given the seeds). */
  sampleCache?: Map<string, PolicySamples>;
  onProgress?: (line: string) => void;
}

export interface Evaluation {
  rounds: OracleRoundReport[];
  /** Judge agreement with the oracle over every decided evaluation pair. */
  judgeAgreement: number;
  decidedPairs: number;
  agreedPairs: number;
  samples: PolicySamples[];
  /** The style games of the oracle and of the learned judge (on the evaluation prompts). */
  styleGames: { oracle: StyleGame; judge: StyleGame };
}

export async function evaluatePolicies({ checkpoints, prompts, judge, sampling, losses = [], sampleCache = new Map(), onProgress = () => undefined }: EvaluateOptions): Promise<Evaluation> {
  const samples: PolicySamples[] = [];
  for (const [t, dir] of checkpoints.entries()) {
    const key = JSON.stringify({ dir, n: prompts.length, sampling });
    let s = sampleCache.get(key);
    if (s === undefined) {
      onProgress(`evaluate: sampling pi_${t} on ${prompts.length} held-out prompts x ${sampling.samplesPerPrompt}`);
      s = await samplePolicy(dir, prompts, sampling);
      sampleCache.set(key, s);
    }
    samples.push(s);
  }
  const styleGames = { oracle: oracleStyleGame(), judge: await judgeStyleGame(prompts, judge, samples[0]?.promptTexts) };
  const rounds: OracleRoundReport[] = [];
  let decided = 0;
  let agreed = 0;
  for (const [t, s] of samples.entries()) {
    onProgress(`evaluate: judging pi_${t} against pi_0${t > 0 ? ` and pi_${t - 1}` : ''}`);
    const base = samples[0] as PolicySamples;
    const vsBase = await compareResponses(prompts, s.player, base.opponent, judge, s.promptTexts);
    decided += vsBase.decided;
    agreed += vsBase.agreed;
    const vsPrev = t === 0 ? null : await compareResponses(prompts, s.player, (samples[t - 1] as PolicySamples).opponent, judge, s.promptTexts);
    const flat = prompts.flatMap((p, i) => (s.player[i] ?? []).map((y) => judgeResponse(p.prompt, y)));
    const styles: (Style | undefined)[] = flat.map((j) => j.style);
    const dist = styleDistribution(styles);
    rounds.push({
      round: t,
      win_rate_vs_base: vsBase.entry,
      win_rate_vs_prev: vsPrev?.entry ?? null,
      correct_rate: flat.filter((j) => j.correct).length / Math.max(1, flat.length),
      mean_response_tokens: mean(s.playerTokens.flat()),
      style_distribution: {
        fractions: dist.fractions,
        nash: styleGames.oracle.nash,
        tv_to_nash: dist.tv_to_nash,
        judge_nash: styleGames.judge.nash,
        tv_to_judge_nash: tvToStyleMix(dist.fractions, styleGames.judge.nash),
      },
      loss: t === 0 ? null : (losses[t] ?? null),
    });
  }
  return { rounds, judgeAgreement: decided === 0 ? Number.NaN : agreed / decided, decidedPairs: decided, agreedPairs: agreed, samples, styleGames };
}
