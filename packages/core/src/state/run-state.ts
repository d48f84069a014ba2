/**
 * The state of a run as far as the round state machine needs it, all of it derivable from an S3
 * listing of `runs/{run}/` (plus the status record and the shard count). Lists are sorted, unique
 * shard ids so states compare and serialise plainly.
 */
import { evalPolicyList, isEvaluatedRound } from '../evaluation/plan.ts';
import { parseKey, runConfigKey } from '../keys.ts';
import type { Stage } from '../schemas/messages.ts';
import type { RunStatus } from '../schemas/records.ts';

export interface RoundState {
  round: number;
  /** runs/{run}/round={t}/_manifest.json exists: the round (its generate stage) has started. */
  manifestWritten: boolean;
  /** Shards whose generation shard exists. */
  generated: number[];
  /** Shards whose triplet shard exists (a judged shard counts as generated too). */
  judged: number[];
  /** Judge units already enqueued (markers runs/{run}/round={t}/_enqueued/judge-{i}). */
  judgeEnqueued: number[];
  /** Train unit already enqueued (marker runs/{run}/round={t}/_enqueued/train). */
  trainEnqueued: boolean;
  /** Checkpoint t+1 (the output of this round's training) has its _COMPLETE marker. */
  checkpointComplete: boolean;
  /** Evaluation (issue 21): round={t}/eval/_manifest.json exists, the round's evaluation has started. */
  evalManifestWritten: boolean;
  /** Eval shards whose judgments exist (round={t}/eval/judgments/shard={i}.jsonl). */
  evalJudged: number[];
  /** Eval judge units already enqueued (markers round={t}/_enqueued/eval-judge-{i}). */
  evalJudgeEnqueued: number[];
  /** round={t}/eval/metrics.json exists: the round's evaluation is written. */
  evalMetricsWritten: boolean;
}

/** Checkpoint c's evaluation samples (shared by every round that compares c). */
export interface EvalPolicyState {
  policy: number;
  /** Eval shards whose samples exist. */
  generated: number[];
  /** Eval shards whose eval_generate unit was enqueued (markers eval/policy={c}/_enqueued/shard={i}). */
  enqueued: number[];
}

export interface EvalState {
  /** Shards of the evaluation prompts; 0 = evaluation off. */
  shardCount: number;
  /** eval_every: which rounds are evaluated (isEvaluatedRound). */
  evalEvery: number;
  /** Checkpoints 0..numIterations. */
  policies: EvalPolicyState[];
}

export interface FailureRef {
  round: number;
  stage: Stage;
  shard?: number;
}

export interface RunState {
  runId: string;
  /** runs/{run}/run.json exists; events for unknown runs produce no commands. */
  exists: boolean;
  numIterations: number;
  /** Shards per round (the manifests' shard count; roundShardCount() before the first manifest). */
  shardCount: number;
  status: RunStatus;
  /** One entry per round 0..numIterations-1. */
  rounds: RoundState[];
  failures: FailureRef[];
  evaluation: EvalState;
}

export function emptyRound(round: number): RoundState {
  return {
    round,
    manifestWritten: false,
    generated: [],
    judged: [],
    judgeEnqueued: [],
    trainEnqueued: false,
    checkpointComplete: false,
    evalManifestWritten: false,
    evalJudged: [],
    evalJudgeEnqueued: [],
    evalMetricsWritten: false,
  };
}

/** Adds a shard id to a sorted unique list (returns a new list). */
export function withShard(list: readonly number[], shard: number): number[] {
  return list.includes(shard) ? [...list] : [...list, shard].sort((a, b) => a - b);
}

export interface DeriveRunStateOptions {
  runId: string;
  /** Every key under runPrefix(runId) (one listing, paginated by the host). */
  keys: Iterable<string>;
  numIterations: number;
  shardCount: number;
  /** From runs/{run}/status.json; absent means 'running'. */
  status?: RunStatus;
  /** Shards of the evaluation prompts (ceil(eval prompts / prompts_per_shard)); 0 or absent = evaluation off. */
  evalShardCount?: number;
  /** The config's eval_every (default 1). */
  evalEvery?: number;
}

/** Builds a RunState from a listing of the run's keys (keys of other runs are ignored). */
export function deriveRunState({ runId, keys, numIterations, shardCount, status = 'running', evalShardCount = 0, evalEvery = 1 }: DeriveRunStateOptions): RunState {
  if (!Number.isInteger(numIterations) || numIterations < 1) throw new RangeError(`numIterations must be a positive integer, got ${numIterations}`);
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new RangeError(`shardCount must be a positive integer, got ${shardCount}`);
  if (!Number.isInteger(evalShardCount) || evalShardCount < 0) throw new RangeError(`evalShardCount must be a non-negative integer, got ${evalShardCount}`);
  if (!Number.isInteger(evalEvery) || evalEvery < 1) throw new RangeError(`evalEvery must be a positive integer, got ${evalEvery}`);
  const rounds = Array.from({ length: numIterations }, (_, t) => emptyRound(t));
  const policies: EvalPolicyState[] = Array.from({ length: numIterations + 1 }, (_, policy) => ({ policy, generated: [], enqueued: [] }));
  const failures: FailureRef[] = [];
  let exists = false;
  const configKey = runConfigKey(runId);
  for (const key of keys) {
    if (key === configKey) exists = true;
    const parsed = parseKey(key);
    if (parsed === null || parsed.run !== runId) continue;
    if (parsed.kind === 'failure') {
      failures.push({ round: parsed.round, stage: parsed.stage, ...(parsed.shard === undefined ? {} : { shard: parsed.shard }) });
      continue;
    }
    if (parsed.kind === 'checkpoint_complete') {
      // checkpoints/{t}/_COMPLETE is the output of round t-1; checkpoint 0 is the base model.
      const producer = rounds[parsed.round - 1];
      if (producer !== undefined) producer.checkpointComplete = true;
      continue;
    }
    if (parsed.kind === 'eval_generation_shard' || parsed.kind === 'eval_generate_marker') {
      const policy = policies[parsed.policy];
      if (policy === undefined || parsed.shard >= evalShardCount) continue;
      if (parsed.kind === 'eval_generation_shard') policy.generated = withShard(policy.generated, parsed.shard);
      else policy.enqueued = withShard(policy.enqueued, parsed.shard);
      continue;
    }
    if (!('round' in parsed)) continue;
    const round = rounds[parsed.round];
    if (round === undefined) continue;
    switch (parsed.kind) {
      case 'manifest':
        round.manifestWritten = true;
        break;
      case 'generation_shard':
        if (parsed.shard < shardCount) round.generated = withShard(round.generated, parsed.shard);
        break;
      case 'triplet_shard':
        if (parsed.shard < shardCount) round.judged = withShard(round.judged, parsed.shard);
        break;
      case 'enqueued_marker':
        if (parsed.stage === 'train') round.trainEnqueued = true;
        else if (parsed.shard !== undefined) round.judgeEnqueued = withShard(round.judgeEnqueued, parsed.shard);
        break;
      case 'eval_manifest':
        round.evalManifestWritten = true;
        break;
      case 'eval_metrics':
        round.evalMetricsWritten = true;
        break;
      case 'eval_judgment_shard':
        if (parsed.shard < evalShardCount) round.evalJudged = withShard(round.evalJudged, parsed.shard);
        break;
      case 'eval_judge_marker':
        if (parsed.shard < evalShardCount) round.evalJudgeEnqueued = withShard(round.evalJudgeEnqueued, parsed.shard);
        break;
      default:
        break;
    }
  }
  return { runId, exists, numIterations, shardCount, status, rounds, failures, evaluation: { shardCount: evalShardCount, evalEvery, policies } };
}

export type RoundPhase = 'waiting' | 'generating' | 'judging' | 'training' | 'done';

export interface RoundProgress {
  round: number;
  phase: RoundPhase;
  shards: number;
  /** Shards with generations (judged shards included). */
  generated: number;
  judged: number;
  checkpointComplete: boolean;
}

function allShards(state: RunState): number[] {
  return Array.from({ length: state.shardCount }, (_, i) => i);
}

/** Shards of round t not yet generated (and not judged either). */
export function missingGenerations(state: RunState, round: RoundState): number[] {
  return allShards(state).filter((i) => !round.generated.includes(i) && !round.judged.includes(i));
}

/** Shards of round t not yet judged. */
export function missingJudgements(state: RunState, round: RoundState): number[] {
  return allShards(state).filter((i) => !round.judged.includes(i));
}

/** Progress of one round, for the gateway's run view. */
export function deriveRoundProgress(state: RunState, t: number): RoundProgress {
  const round = state.rounds[t];
  if (round === undefined) throw new RangeError(`round ${t} is outside this run's rounds 0..${state.numIterations - 1}`);
  const generated = state.shardCount - missingGenerations(state, round).length;
  const judged = state.shardCount - missingJudgements(state, round).length;
  let phase: RoundPhase;
  if (round.checkpointComplete) phase = 'done';
  else if (!round.manifestWritten) phase = 'waiting';
  else if (generated < state.shardCount) phase = 'generating';
  else if (judged < state.shardCount) phase = 'judging';
  else phase = 'training';
  return { round: t, phase, shards: state.shardCount, generated, judged, checkpointComplete: round.checkpointComplete };
}

/** The first round whose checkpoint t+1 is not complete; null when every round is done. */
export function currentRound(state: RunState): number | null {
  const round = state.rounds.find((r) => !r.checkpointComplete);
  return round === undefined ? null : round.round;
}

/** Whether round t of this run is evaluated (evaluation on, and isEvaluatedRound). */
export function roundIsEvaluated(state: RunState, t: number): boolean {
  return state.evaluation.shardCount > 0 && isEvaluatedRound({ numIterations: state.numIterations, evalEvery: state.evaluation.evalEvery }, t);
}

/** Eval shards of round t whose samples exist for every policy the round compares. */
export function evalInputsReady(state: RunState, t: number): number[] {
  const policies = evalPolicyList(t).map((c) => state.evaluation.policies[c]);
  return Array.from({ length: state.evaluation.shardCount }, (_, i) => i).filter((i) => policies.every((p) => p !== undefined && p.generated.includes(i)));
}

/** Evaluated rounds whose checkpoint is complete but whose evaluation metrics are not written yet. */
export function pendingEvaluations(state: RunState): number[] {
  return state.rounds.filter((r) => r.checkpointComplete && !r.evalMetricsWritten && roundIsEvaluated(state, r.round)).map((r) => r.round);
}

export type EvalPhase = 'off' | 'waiting' | 'generating' | 'judging' | 'done';

export interface EvalProgress {
  round: number;
  phase: EvalPhase;
  shards: number;
  /** Eval shards with samples of every compared policy. */
  generated: number;
  judged: number;
}

/** The evaluation progress of round t, for the run view. */
export function deriveEvalProgress(state: RunState, t: number): EvalProgress {
  const round = state.rounds[t];
  if (round === undefined) throw new RangeError(`round ${t} is outside this run's rounds 0..${state.numIterations - 1}`);
  const shards = state.evaluation.shardCount;
  if (!roundIsEvaluated(state, t)) return { round: t, phase: 'off', shards: 0, generated: 0, judged: 0 };
  const generated = evalInputsReady(state, t).length;
  const judged = round.evalJudged.length;
  let phase: EvalPhase;
  if (round.evalMetricsWritten) phase = 'done';
  else if (!round.evalManifestWritten) phase = 'waiting';
  else if (generated < shards) phase = 'generating';
  else phase = 'judging';
  return { round: t, phase, shards, generated, judged };
}
