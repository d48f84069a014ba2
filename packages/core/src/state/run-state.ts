/**
 * The state of a run as far as the round state machine needs it, all of it derivable from an S3
 * listing of `runs/{run}/` (plus the status record and the shard count). Lists are sorted, unique
 * shard ids so states compare and serialise plainly.
 */
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
}

export function emptyRound(round: number): RoundState {
  return { round, manifestWritten: false, generated: [], judged: [], judgeEnqueued: [], trainEnqueued: false, checkpointComplete: false };
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
}

/** Builds a RunState from a listing of the run's keys (keys of other runs are ignored). */
export function deriveRunState({ runId, keys, numIterations, shardCount, status = 'running' }: DeriveRunStateOptions): RunState {
  if (!Number.isInteger(numIterations) || numIterations < 1) throw new RangeError(`numIterations must be a positive integer, got ${numIterations}`);
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new RangeError(`shardCount must be a positive integer, got ${shardCount}`);
  const rounds = Array.from({ length: numIterations }, (_, t) => emptyRound(t));
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
      default:
        break;
    }
  }
  return { runId, exists, numIterations, shardCount, status, rounds, failures };
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
