/**
 * S3 key layout (ARCHITECTURE 3.2). One bucket; every key is derived from a validated run id,
 * round and shard (plus a validated file name), so nothing a user sends becomes a raw key.
 *
 *   runs/{run}/run.json                                   resolved config, written once at creation
 *   runs/{run}/status.json                                run status (state machine set_status/complete_run)
 *   runs/{run}/summary.json                               run summary, written by the host on completion
 *   runs/{run}/prompts/prompts.jsonl                      the prompt pool, {prompt_id, prompt} per line
 *   runs/{run}/round={t}/_manifest.json                   written once when round t starts
 *   runs/{run}/round={t}/generations/shard={i}.jsonl
 *   runs/{run}/round={t}/triplets/shard={i}.jsonl
 *   runs/{run}/round={t}/metrics.json
 *   runs/{run}/round={t}/judge-metrics/shard={i}.json     the judge's per-shard numbers and bad lines
 *   runs/{run}/round={t}/train-state/{file}               resumable trainer state (every save_steps)
 *   runs/{run}/round={t}/_enqueued/judge-{i} | train      "stage started" markers (state machine)
 *   runs/{run}/checkpoints/{t}/{file}                     HF-style checkpoint; t = 0 is the base model
 *   runs/{run}/checkpoints/{t}/_COMPLETE                  written LAST: without it the checkpoint does not exist
 *   runs/{run}/failures/{stage}-{t}[-{i}].json            dead-lettered units with their reason
 *
 * The evaluation stage (issue 21; evaluation/ in core):
 *   runs/{run}/eval/prompts.jsonl                         the evaluation prompts (never in prompts.jsonl)
 *   runs/{run}/eval/policy={c}/generations/shard={i}.jsonl   checkpoint c's samples of eval shard i (pi_0's made once)
 *   runs/{run}/eval/policy={c}/_enqueued/shard={i}        "eval_generate enqueued" marker
 *   runs/{run}/round={t}/eval/_manifest.json              round t's evaluation started (checkpoint t+1 vs 0 and t)
 *   runs/{run}/round={t}/eval/judgments/shard={i}.jsonl   the judge's comparisons, both orders
 *   runs/{run}/round={t}/_enqueued/eval-judge-{i}         "eval_judge enqueued" marker
 *   runs/{run}/round={t}/eval/metrics.json                the round's evaluation table row (written last)
 */
import { assertFileName, assertRound, assertRunId, assertShard, MAX_ROUND, MAX_SHARD } from './ids.ts';
import { STAGES, type Stage } from './schemas/messages.ts';

export const RUNS_PREFIX = 'runs/';
export const COMPLETE_MARKER = '_COMPLETE';

/** `runs/{run}/`: list this to derive a run's whole state. */
export function runPrefix(run: string): string {
  return `${RUNS_PREFIX}${assertRunId(run)}/`;
}
export function runConfigKey(run: string): string {
  return `${runPrefix(run)}run.json`;
}
export function runStatusKey(run: string): string {
  return `${runPrefix(run)}status.json`;
}
/** Final checkpoint and per-round summaries, written when the run completes (gateway automation). */
export function runSummaryKey(run: string): string {
  return `${runPrefix(run)}summary.json`;
}
export function promptsKey(run: string): string {
  return `${runPrefix(run)}prompts/prompts.jsonl`;
}
export function roundPrefix(run: string, t: number): string {
  return `${runPrefix(run)}round=${assertRound(t)}/`;
}
export function manifestKey(run: string, t: number): string {
  return `${roundPrefix(run, t)}_manifest.json`;
}
export function generationsPrefix(run: string, t: number): string {
  return `${roundPrefix(run, t)}generations/`;
}
export function generationShardKey(run: string, t: number, i: number): string {
  return `${generationsPrefix(run, t)}shard=${assertShard(i)}.jsonl`;
}
export function tripletsPrefix(run: string, t: number): string {
  return `${roundPrefix(run, t)}triplets/`;
}
export function tripletShardKey(run: string, t: number, i: number): string {
  return `${tripletsPrefix(run, t)}shard=${assertShard(i)}.jsonl`;
}
export function roundMetricsKey(run: string, t: number): string {
  return `${roundPrefix(run, t)}metrics.json`;
}
export function judgeMetricsPrefix(run: string, t: number): string {
  return `${roundPrefix(run, t)}judge-metrics/`;
}
/** The judge's numbers for shard i of round t (written before the triplet shard). */
export function judgeMetricsKey(run: string, t: number, i: number): string {
  return `${judgeMetricsPrefix(run, t)}shard=${assertShard(i)}.json`;
}
export function trainStatePrefix(run: string, t: number): string {
  return `${roundPrefix(run, t)}train-state/`;
}
/** A file of round t's resumable trainer state (default `state.json`; tensors e.g. `optimizer.safetensors`). */
export function trainStateKey(run: string, t: number, file = 'state.json'): string {
  return `${trainStatePrefix(run, t)}${assertFileName(file)}`;
}
/** Marker the host writes after enqueuing a judge shard or the train unit (see state/machine.ts). */
export function enqueuedMarkerKey(run: string, t: number, stage: 'judge' | 'train', shard?: number): string {
  if (stage === 'judge') return `${roundPrefix(run, t)}_enqueued/judge-${assertShard(shard)}`;
  if (stage === 'train') return `${roundPrefix(run, t)}_enqueued/train`;
  throw new RangeError(`enqueued markers exist for 'judge' and 'train' only, got ${JSON.stringify(stage)}`);
}
export function checkpointsPrefix(run: string): string {
  return `${runPrefix(run)}checkpoints/`;
}
/** `runs/{run}/checkpoints/{t}/`: checkpoint t, produced by round t-1 (t = 0: the base model). */
export function checkpointPrefix(run: string, t: number): string {
  return `${checkpointsPrefix(run)}${assertRound(t)}/`;
}
export function checkpointFileKey(run: string, t: number, file: string): string {
  return `${checkpointPrefix(run, t)}${assertFileName(file)}`;
}
export function checkpointCompleteKey(run: string, t: number): string {
  return `${checkpointPrefix(run, t)}${COMPLETE_MARKER}`;
}
export function evalPromptsKey(run: string): string {
  return `${runPrefix(run)}eval/prompts.jsonl`;
}
/** `runs/{run}/eval/policy={c}/`: evaluation samples of checkpoint c, shared by every round that compares it. */
export function evalPolicyPrefix(run: string, c: number): string {
  return `${runPrefix(run)}eval/policy=${assertRound(c)}/`;
}
export function evalGenerationShardKey(run: string, c: number, i: number): string {
  return `${evalPolicyPrefix(run, c)}generations/shard=${assertShard(i)}.jsonl`;
}
/** Marker the host writes after enqueuing checkpoint c's eval_generate unit of eval shard i. */
export function evalGenerateMarkerKey(run: string, c: number, i: number): string {
  return `${evalPolicyPrefix(run, c)}_enqueued/shard=${assertShard(i)}`;
}
export function evalRoundPrefix(run: string, t: number): string {
  return `${roundPrefix(run, t)}eval/`;
}
export function evalManifestKey(run: string, t: number): string {
  return `${evalRoundPrefix(run, t)}_manifest.json`;
}
export function evalJudgmentsPrefix(run: string, t: number): string {
  return `${evalRoundPrefix(run, t)}judgments/`;
}
export function evalJudgmentShardKey(run: string, t: number, i: number): string {
  return `${evalJudgmentsPrefix(run, t)}shard=${assertShard(i)}.jsonl`;
}
export function evalJudgeMarkerKey(run: string, t: number, i: number): string {
  return `${roundPrefix(run, t)}_enqueued/eval-judge-${assertShard(i)}`;
}
/** Round t's evaluation metrics (evaluation/metrics.ts), written once every judgment shard exists. */
export function evalMetricsKey(run: string, t: number): string {
  return `${evalRoundPrefix(run, t)}metrics.json`;
}
export function failuresPrefix(run: string): string {
  return `${runPrefix(run)}failures/`;
}
/** `runs/{run}/failures/{stage}-{t}-{i}.json`, or `{stage}-{t}.json` without a shard (train). */
export function failureKey(run: string, stage: Stage, t: number, shard?: number): string {
  if (!(STAGES as readonly string[]).includes(stage)) {
    throw new RangeError(`unknown stage ${JSON.stringify(stage)}: use ${STAGES.join(', ')}`);
  }
  const suffix = shard === undefined ? '' : `-${assertShard(shard)}`;
  return `${failuresPrefix(run)}${stage}-${assertRound(t)}${suffix}.json`;
}

export type ParsedKey =
  | { kind: 'run_config' | 'run_status' | 'run_summary' | 'prompts'; run: string }
  | { kind: 'manifest' | 'round_metrics' | 'checkpoint_complete'; run: string; round: number }
  | { kind: 'generation_shard' | 'triplet_shard' | 'judge_metrics'; run: string; round: number; shard: number }
  | { kind: 'train_state' | 'checkpoint_file'; run: string; round: number; file: string }
  | { kind: 'enqueued_marker'; run: string; round: number; stage: 'judge' | 'train'; shard?: number }
  | { kind: 'failure'; run: string; round: number; stage: Stage; shard?: number }
  | { kind: 'eval_prompts'; run: string }
  | { kind: 'eval_generation_shard' | 'eval_generate_marker'; run: string; policy: number; shard: number }
  | { kind: 'eval_manifest' | 'eval_metrics'; run: string; round: number }
  | { kind: 'eval_judgment_shard' | 'eval_judge_marker'; run: string; round: number; shard: number };

const NUMBER = '(0|[1-9][0-9]{0,4})';
const RUN = '([a-z0-9][a-z0-9-]{0,62})';
const FILE = '([A-Za-z0-9_][A-Za-z0-9._-]{0,127})';

const PATTERNS: readonly [RegExp, (m: RegExpExecArray) => ParsedKey][] = [
  [new RegExp(`^runs/${RUN}/run\\.json$`), (m) => ({ kind: 'run_config', run: m[1] ?? '' })],
  [new RegExp(`^runs/${RUN}/status\\.json$`), (m) => ({ kind: 'run_status', run: m[1] ?? '' })],
  [new RegExp(`^runs/${RUN}/summary\\.json$`), (m) => ({ kind: 'run_summary', run: m[1] ?? '' })],
  [new RegExp(`^runs/${RUN}/prompts/prompts\\.jsonl$`), (m) => ({ kind: 'prompts', run: m[1] ?? '' })],
  [new RegExp(`^runs/${RUN}/round=${NUMBER}/_manifest\\.json$`), (m) => ({ kind: 'manifest', run: m[1] ?? '', round: Number(m[2]) })],
  [new RegExp(`^runs/${RUN}/round=${NUMBER}/metrics\\.json$`), (m) => ({ kind: 'round_metrics', run: m[1] ?? '', round: Number(m[2]) })],
  [
    new RegExp(`^runs/${RUN}/round=${NUMBER}/generations/shard=${NUMBER}\\.jsonl$`),
    (m) => ({ kind: 'generation_shard', run: m[1] ?? '', round: Number(m[2]), shard: Number(m[3]) }),
  ],
  [
    new RegExp(`^runs/${RUN}/round=${NUMBER}/triplets/shard=${NUMBER}\\.jsonl$`),
    (m) => ({ kind: 'triplet_shard', run: m[1] ?? '', round: Number(m[2]), shard: Number(m[3]) }),
  ],
  [
    new RegExp(`^runs/${RUN}/round=${NUMBER}/judge-metrics/shard=${NUMBER}\\.json$`),
    (m) => ({ kind: 'judge_metrics', run: m[1] ?? '', round: Number(m[2]), shard: Number(m[3]) }),
  ],
  [
    new RegExp(`^runs/${RUN}/round=${NUMBER}/train-state/${FILE}$`),
    (m) => ({ kind: 'train_state', run: m[1] ?? '', round: Number(m[2]), file: m[3] ?? '' }),
  ],
  [
    new RegExp(`^runs/${RUN}/round=${NUMBER}/_enqueued/judge-${NUMBER}$`),
    (m) => ({ kind: 'enqueued_marker', run: m[1] ?? '', round: Number(m[2]), stage: 'judge', shard: Number(m[3]) }),
  ],
  [new RegExp(`^runs/${RUN}/round=${NUMBER}/_enqueued/train$`), (m) => ({ kind: 'enqueued_marker', run: m[1] ?? '', round: Number(m[2]), stage: 'train' })],
  [new RegExp(`^runs/${RUN}/checkpoints/${NUMBER}/_COMPLETE$`), (m) => ({ kind: 'checkpoint_complete', run: m[1] ?? '', round: Number(m[2]) })],
  [
    new RegExp(`^runs/${RUN}/checkpoints/${NUMBER}/${FILE}$`),
    (m) => ({ kind: 'checkpoint_file', run: m[1] ?? '', round: Number(m[2]), file: m[3] ?? '' }),
  ],
  [
    new RegExp(`^runs/${RUN}/failures/(${STAGES.join('|')})-${NUMBER}(?:-${NUMBER})?\\.json$`),
    (m) => ({
      kind: 'failure',
      run: m[1] ?? '',
      stage: (m[2] ?? 'generate') as Stage,
      round: Number(m[3]),
      ...(m[4] === undefined ? {} : { shard: Number(m[4]) }),
    }),
  ],
  [new RegExp(`^runs/${RUN}/eval/prompts\\.jsonl$`), (m) => ({ kind: 'eval_prompts', run: m[1] ?? '' })],
  [
    new RegExp(`^runs/${RUN}/eval/policy=${NUMBER}/generations/shard=${NUMBER}\\.jsonl$`),
    (m) => ({ kind: 'eval_generation_shard', run: m[1] ?? '', policy: Number(m[2]), shard: Number(m[3]) }),
  ],
  [
    new RegExp(`^runs/${RUN}/eval/policy=${NUMBER}/_enqueued/shard=${NUMBER}$`),
    (m) => ({ kind: 'eval_generate_marker', run: m[1] ?? '', policy: Number(m[2]), shard: Number(m[3]) }),
  ],
  [new RegExp(`^runs/${RUN}/round=${NUMBER}/eval/_manifest\\.json$`), (m) => ({ kind: 'eval_manifest', run: m[1] ?? '', round: Number(m[2]) })],
  [new RegExp(`^runs/${RUN}/round=${NUMBER}/eval/metrics\\.json$`), (m) => ({ kind: 'eval_metrics', run: m[1] ?? '', round: Number(m[2]) })],
  [
    new RegExp(`^runs/${RUN}/round=${NUMBER}/eval/judgments/shard=${NUMBER}\\.jsonl$`),
    (m) => ({ kind: 'eval_judgment_shard', run: m[1] ?? '', round: Number(m[2]), shard: Number(m[3]) }),
  ],
  [
    new RegExp(`^runs/${RUN}/round=${NUMBER}/_enqueued/eval-judge-${NUMBER}$`),
    (m) => ({ kind: 'eval_judge_marker', run: m[1] ?? '', round: Number(m[2]), shard: Number(m[3]) }),
  ],
];

/**
 * Inverts the key functions: which artefact a key is, with its ids; null for any other key.
 * For checkpoint_* kinds, `round` is the checkpoint index t (checkpoints/{t}/).
 */
export function parseKey(key: string): ParsedKey | null {
  for (const [pattern, build] of PATTERNS) {
    const match = pattern.exec(key);
    if (match === null) continue;
    const parsed = build(match);
    if ('round' in parsed && parsed.round > MAX_ROUND) return null;
    if ('policy' in parsed && parsed.policy > MAX_ROUND) return null;
    if ('shard' in parsed && parsed.shard !== undefined && parsed.shard > MAX_SHARD) return null;
    if ('file' in parsed && parsed.file.includes('..')) return null;
    return parsed;
  }
  return null;
}
