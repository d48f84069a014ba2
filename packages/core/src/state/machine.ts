/**
 * The round state machine (ARCHITECTURE 3.6) as a pure function:
 *
 *   advance(state derived from S3, event) -> { state after the commands, commands, notes }
 *
 * How a host (gateway endpoint, events worker, Lambda) uses it, for each event message:
 *   1. parseEvent(body); read runs/{run}/run.json (absent: unknown run) and status.json;
 *   2. list runPrefix(run) and call deriveRunState({ runId, keys, numIterations, shardCount, status });
 *   3. advance(state, event);
 *   4. execute the commands IN ORDER, each idempotently, then acknowledge the message:
 *      - write_manifest(t): plan the round (planRound) and write manifestKey(run, t) unless it exists;
 *      - enqueue_generate(t, shards): send one generate task per shard (the manifest is its marker);
 *      - enqueue_judge(t, i) / enqueue_train(t): send the task, THEN write enqueuedMarkerKey(...)
 *        (a crash in between only causes a harmless duplicate enqueue later, never a lost one);
 *      - set_status / complete_run: write runStatusKey(run);
 *      - record_failure: write failureKey(run, stage, t, shard).
 *      - write_eval_manifest(t): round t's evaluation manifest (evalManifestKey) unless it exists;
 *      - enqueue_eval_generate(t, c, i) / enqueue_eval_judge(t, i): send the task, THEN write its
 *        marker (evalGenerateMarkerKey / evalJudgeMarkerKey), like judge and train;
 *      - write_eval_metrics(t): read round t's judgment shards, write evalMetricsKey (deterministic).
 *   Log `notes`; they explain why nothing happened (duplicate, stale, cancelled, unknown run).
 *
 * Evaluation (issue 21; with eval prompts, state.evaluation.shardCount > 0): when checkpoint t+1 of
 * an evaluated round is ready, the machine starts round t+1 FIRST and then round t's evaluation
 * beside it: the samples of checkpoints 0, t and t+1 that do not exist yet and were not enqueued
 * (pi_0's and pi_t's are reused from earlier evaluations), then a judge unit per eval shard once
 * every compared policy has that shard, then the metrics once every shard is judged. The run
 * completes when the last checkpoint is ready AND every evaluated round's metrics are written.
 *
 * Guarantees: a stage start is emitted only if the state shows it has not started (manifest,
 * enqueued markers), so a duplicate event after the first was executed emits nothing; events are
 * hints and the listing is the truth: shard.generated, shard.judged and checkpoint.ready act only
 * when the listing shows the shard or checkpoints/{t+1}/_COMPLETE (services publish after writing,
 * and S3 listings are strongly consistent, so a genuine event always finds its output; a stray or
 * forged one starts nothing); events that arrive out of order are harmless (a stale
 * checkpoint.ready finds the next round started); two finishers racing on the last shard may both
 * emit enqueue_train, a harmless duplicate (handlers are idempotent: ARCHITECTURE 3.5); while a run
 * is cancelled, failed or completed nothing is enqueued; run.resumed re-emits whatever is missing,
 * ignoring the markers (a dead-lettered unit had its marker written).
 */
import { SppoError } from '../errors.ts';
import { COMPLETE_MARKER } from '../keys.ts';
import type { RunEvent, Stage } from '../schemas/messages.ts';
import type { RunStatus } from '../schemas/records.ts';
import { evalPolicyList } from '../evaluation/plan.ts';
import {
  currentRound,
  evalInputsReady,
  missingGenerations,
  missingJudgements,
  pendingEvaluations,
  roundIsEvaluated,
  withShard,
  type RoundState,
  type RunState,
} from './run-state.ts';

export type Command =
  | { kind: 'write_manifest'; round: number }
  | { kind: 'enqueue_generate'; round: number; shards: number[] }
  | { kind: 'enqueue_judge'; round: number; shard: number }
  | { kind: 'enqueue_train'; round: number }
  | { kind: 'set_status'; status: Exclude<RunStatus, 'completed'>; reason?: string }
  | { kind: 'complete_run' }
  | { kind: 'record_failure'; round: number; stage: Stage; shard?: number; reason: string }
  | { kind: 'write_eval_manifest'; round: number }
  | { kind: 'enqueue_eval_generate'; round: number; policy: number; shard: number }
  | { kind: 'enqueue_eval_judge'; round: number; shard: number }
  | { kind: 'write_eval_metrics'; round: number };

export interface AdvanceResult {
  state: RunState;
  commands: Command[];
  notes: string[];
}

function cloneState(state: RunState): RunState {
  return {
    ...state,
    rounds: state.rounds.map((r) => ({
      ...r,
      generated: [...r.generated],
      judged: [...r.judged],
      judgeEnqueued: [...r.judgeEnqueued],
      evalJudged: [...r.evalJudged],
      evalJudgeEnqueued: [...r.evalJudgeEnqueued],
    })),
    failures: [...state.failures],
    evaluation: { ...state.evaluation, policies: state.evaluation.policies.map((p) => ({ ...p, generated: [...p.generated], enqueued: [...p.enqueued] })) },
  };
}

/** Mutable working copy plus the commands emitted so far. */
class Step {
  readonly state: RunState;
  readonly commands: Command[] = [];
  readonly notes: string[] = [];
  constructor(state: RunState) {
    this.state = cloneState(state);
  }
  round(t: number): RoundState | undefined {
    return this.state.rounds[t];
  }
  allShards(): number[] {
    return Array.from({ length: this.state.shardCount }, (_, i) => i);
  }
  startRound(t: number): void {
    const round = this.round(t);
    if (round === undefined) return;
    if (round.manifestWritten) {
      this.notes.push(`round ${t} already started (manifest exists): nothing to do`);
      return;
    }
    round.manifestWritten = true;
    this.commands.push({ kind: 'write_manifest', round: t }, { kind: 'enqueue_generate', round: t, shards: this.allShards() });
  }
  enqueueJudge(round: RoundState, shard: number): void {
    round.judgeEnqueued = withShard(round.judgeEnqueued, shard);
    this.commands.push({ kind: 'enqueue_judge', round: round.round, shard });
  }
  maybeTrain(round: RoundState, ignoreMarker: boolean): void {
    if (round.checkpointComplete || missingJudgements(this.state, round).length > 0) return;
    if (round.trainEnqueued && !ignoreMarker) {
      this.notes.push(`round ${round.round}: train already enqueued`);
      return;
    }
    round.trainEnqueued = true;
    this.commands.push({ kind: 'enqueue_train', round: round.round });
  }
  completeRun(): void {
    if (this.state.status === 'completed') return;
    this.state.status = 'completed';
    this.commands.push({ kind: 'complete_run' });
  }
  /** Every round trained and every evaluated round's metrics written. */
  completeIfDone(): void {
    if (currentRound(this.state) !== null) return;
    if (this.state.rounds.some((r) => roundIsEvaluated(this.state, r.round) && !r.evalMetricsWritten)) return;
    this.completeRun();
  }
  allEvalShards(): number[] {
    return Array.from({ length: this.state.evaluation.shardCount }, (_, i) => i);
  }
  /** Eval samples (policy, shard) enqueued by this step: one send per unit even when several rounds need it. */
  private readonly evalSent = new Set<string>();
  /** Enqueues checkpoint c's eval_generate unit of shard i unless its samples exist or (markers honoured) it was enqueued. */
  ensureEvalSamples(t: number, c: number, i: number, ignoreMarker: boolean): void {
    const policy = this.state.evaluation.policies[c];
    if (policy === undefined || policy.generated.includes(i) || this.evalSent.has(`${c}/${i}`)) return;
    if (policy.enqueued.includes(i) && !ignoreMarker) return;
    policy.enqueued = withShard(policy.enqueued, i);
    this.evalSent.add(`${c}/${i}`);
    this.commands.push({ kind: 'enqueue_eval_generate', round: t, policy: c, shard: i });
  }
  /** Round t's evaluation starts once checkpoint t+1 is ready (beside round t+1, never before it). */
  startEval(t: number): void {
    const round = this.round(t);
    if (round === undefined || !roundIsEvaluated(this.state, t)) return;
    if (round.evalManifestWritten) {
      this.notes.push(`round ${t}: evaluation already started (eval manifest exists)`);
      return;
    }
    round.evalManifestWritten = true;
    this.commands.push({ kind: 'write_eval_manifest', round: t });
    for (const c of evalPolicyList(t)) for (const i of this.allEvalShards()) this.ensureEvalSamples(t, c, i, false);
    for (const i of this.allEvalShards()) this.maybeEvalJudge(round, i, false);
  }
  maybeEvalJudge(round: RoundState, shard: number, ignoreMarker: boolean): void {
    if (!round.evalManifestWritten || round.evalJudged.includes(shard)) return;
    if (!evalInputsReady(this.state, round.round).includes(shard)) return;
    if (round.evalJudgeEnqueued.includes(shard) && !ignoreMarker) {
      this.notes.push(`round ${round.round} eval shard ${shard}: eval judge already enqueued`);
      return;
    }
    round.evalJudgeEnqueued = withShard(round.evalJudgeEnqueued, shard);
    this.commands.push({ kind: 'enqueue_eval_judge', round: round.round, shard });
  }
  maybeEvalMetrics(round: RoundState): void {
    if (round.evalMetricsWritten || !round.evalManifestWritten) return;
    if (round.evalJudged.length < this.state.evaluation.shardCount) return;
    round.evalMetricsWritten = true;
    this.commands.push({ kind: 'write_eval_metrics', round: round.round });
  }
  /** run.resumed: every started-but-unwritten evaluation gets its missing units again, markers ignored. */
  reconcileEvaluations(): void {
    for (const t of pendingEvaluations(this.state)) {
      const round = this.round(t);
      if (round === undefined) continue;
      if (!round.evalManifestWritten) {
        this.startEval(t);
        continue;
      }
      for (const c of evalPolicyList(t)) for (const i of this.allEvalShards()) if (!round.evalJudged.includes(i)) this.ensureEvalSamples(t, c, i, true);
      for (const i of this.allEvalShards()) this.maybeEvalJudge(round, i, true);
      this.maybeEvalMetrics(round);
    }
  }
  /** run.resumed: re-emit what the current round is missing, whatever the markers say. */
  reconcile(): void {
    this.reconcileEvaluations();
    const t = currentRound(this.state);
    if (t === null) return this.completeIfDone();
    const round = this.round(t);
    if (round === undefined) return;
    if (!round.manifestWritten) return this.startRound(t);
    const missing = missingGenerations(this.state, round);
    if (missing.length > 0) this.commands.push({ kind: 'enqueue_generate', round: t, shards: missing });
    for (const shard of round.generated) if (!round.judged.includes(shard)) this.enqueueJudge(round, shard);
    this.maybeTrain(round, true);
  }
}

function validRound(step: Step, t: number): RoundState | undefined {
  const round = step.round(t);
  if (round === undefined) step.notes.push(`round ${t} is outside this run's rounds 0..${step.state.numIterations - 1}: ignored`);
  return round;
}

function validShard(step: Step, shard: number): boolean {
  if (shard < step.state.shardCount) return true;
  step.notes.push(`shard ${shard} is outside this run's shards 0..${step.state.shardCount - 1}: ignored`);
  return false;
}

/** The output of the failed unit already exists: the failure is stale (a duplicate delivery lost). */
function unitDone(state: RunState, round: RoundState, stage: Stage, shard: number | undefined): boolean {
  if (stage === 'train') return round.checkpointComplete;
  if (shard === undefined) return false;
  if (stage === 'eval_judge') return round.evalJudged.includes(shard);
  // The failure names the round, not the checkpoint: done when every sample the round needs exists.
  if (stage === 'eval_generate') return round.evalJudged.includes(shard) || evalInputsReady(state, round.round).includes(shard);
  return stage === 'generate' ? round.generated.includes(shard) || round.judged.includes(shard) : round.judged.includes(shard);
}

/** Applies one event; see the module comment for the host contract and the guarantees. */
export function advance(state: RunState, event: RunEvent): AdvanceResult {
  if (event.run_id !== state.runId) {
    throw new SppoError(`event for run "${event.run_id}" applied to the state of run "${state.runId}": derive the state of the event's run`, { userError: false });
  }
  const step = new Step(state);
  const s = step.state;
  if (!s.exists) {
    step.notes.push(`unknown run "${event.run_id}" (no run.json): ${event.type} ignored`);
    return { state: s, commands: [], notes: step.notes };
  }

  switch (event.type) {
    case 'run.cancelled':
      if (s.status === 'running') {
        s.status = 'cancelled';
        step.commands.push({ kind: 'set_status', status: 'cancelled', ...(event.reason === undefined ? {} : { reason: event.reason }) });
      } else step.notes.push(`run is ${s.status}: cancel ignored`);
      break;

    case 'run.resumed':
      if (s.status === 'cancelled' || s.status === 'failed') {
        s.status = 'running';
        step.commands.push({ kind: 'set_status', status: 'running' });
        step.reconcile();
      } else step.notes.push(`run is ${s.status}: resume ignored`);
      break;

    case 'unit.failed': {
      const round = validRound(step, event.round);
      if (round === undefined) break;
      if (unitDone(s, round, event.stage, event.shard)) {
        step.notes.push(`${event.stage} unit of round ${event.round} already has its output: stale failure ignored`);
        break;
      }
      const shard = event.shard === undefined ? {} : { shard: event.shard };
      s.failures.push({ round: event.round, stage: event.stage, ...shard });
      step.commands.push({ kind: 'record_failure', round: event.round, stage: event.stage, ...shard, reason: event.reason });
      if (s.status === 'running') {
        s.status = 'failed';
        const where = `${event.stage} of round ${event.round}${event.shard === undefined ? '' : ` shard ${event.shard}`}`;
        step.commands.push({ kind: 'set_status', status: 'failed', reason: `${where} failed: ${event.reason}` });
      }
      break;
    }

    case 'run.created':
      if (s.status !== 'running') step.notes.push(`run is ${s.status}: no new work`);
      else step.startRound(0);
      break;

    case 'shard.generated': {
      const round = validRound(step, event.round);
      if (round === undefined || !validShard(step, event.shard)) break;
      // Like checkpoint.ready: the listing is the truth. A generator publishes only after its shard
      // is written, so a genuine event finds it; a stray one must not send a judge to a missing shard.
      if (!round.generated.includes(event.shard)) {
        step.notes.push(`shard.generated for round ${event.round} shard ${event.shard}, but the shard is not in the listing: ignored`);
        break;
      }
      if (s.status !== 'running') step.notes.push(`run is ${s.status}: no new work`);
      else if (round.judged.includes(event.shard)) step.notes.push(`round ${event.round} shard ${event.shard} already judged`);
      else if (round.judgeEnqueued.includes(event.shard)) step.notes.push(`round ${event.round} shard ${event.shard}: judge already enqueued`);
      else step.enqueueJudge(round, event.shard);
      break;
    }

    case 'shard.judged': {
      const round = validRound(step, event.round);
      if (round === undefined || !validShard(step, event.shard)) break;
      if (!round.judged.includes(event.shard)) {
        step.notes.push(`shard.judged for round ${event.round} shard ${event.shard}, but the triplet shard is not in the listing: ignored`);
        break;
      }
      if (s.status !== 'running') step.notes.push(`run is ${s.status}: no new work`);
      else step.maybeTrain(round, false);
      break;
    }

    case 'checkpoint.ready': {
      const round = validRound(step, event.round);
      if (round === undefined) break;
      // Events are hints, the listing is the truth: a checkpoint without its _COMPLETE marker does
      // not exist (ARCHITECTURE 3.2), so a checkpoint.ready the state does not back (a stray, early
      // or foreign event) neither completes the run nor starts round t+1 on a torn checkpoint.
      // The trainer publishes the event only after _COMPLETE, and S3 listings are strongly
      // consistent, so a genuine event always finds its marker.
      if (!round.checkpointComplete) {
        step.notes.push(`checkpoint.ready for round ${event.round}, but checkpoint ${event.round + 1} has no ${COMPLETE_MARKER} in the listing: ignored (the trainer's own event follows its marker)`);
        break;
      }
      if (s.status !== 'running') {
        step.notes.push(`run is ${s.status}: no new work`);
        break;
      }
      // Round t+1 first, then round t's evaluation beside it (issue 21: not before it).
      if (event.round + 1 < s.numIterations) step.startRound(event.round + 1);
      step.startEval(event.round);
      // checkpoint num_iterations exists: the last round is done; the run completes once its evaluations are.
      if (event.round + 1 >= s.numIterations) step.completeIfDone();
      break;
    }

    case 'eval.generated': {
      const policy = s.evaluation.policies[event.policy];
      if (policy === undefined || event.shard >= s.evaluation.shardCount) {
        step.notes.push(`eval.generated for checkpoint ${event.policy} eval shard ${event.shard}: outside this run's checkpoints 0..${s.numIterations} or eval shards 0..${s.evaluation.shardCount - 1}: ignored`);
        break;
      }
      if (!policy.generated.includes(event.shard)) {
        step.notes.push(`eval.generated for checkpoint ${event.policy} eval shard ${event.shard}, but the samples are not in the listing: ignored`);
        break;
      }
      if (s.status !== 'running') {
        step.notes.push(`run is ${s.status}: no new work`);
        break;
      }
      for (const round of s.rounds) if (evalPolicyList(round.round).includes(event.policy)) step.maybeEvalJudge(round, event.shard, false);
      break;
    }

    case 'eval.judged': {
      const round = validRound(step, event.round);
      if (round === undefined) break;
      if (!round.evalJudged.includes(event.shard)) {
        step.notes.push(`eval.judged for round ${event.round} eval shard ${event.shard}, but the judgments are not in the listing: ignored`);
        break;
      }
      if (s.status !== 'running') step.notes.push(`run is ${s.status}: no new work`);
      else if (round.evalMetricsWritten) step.notes.push(`round ${event.round}: evaluation metrics already written`);
      else {
        step.maybeEvalMetrics(round);
        step.completeIfDone();
      }
      break;
    }

    default: {
      const unknown: never = event;
      step.notes.push(`unhandled event ${JSON.stringify(unknown)}`);
    }
  }
  return { state: s, commands: step.commands, notes: step.notes };
}
