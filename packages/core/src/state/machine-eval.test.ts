// The evaluation stage in the round state machine (issue 21): when it starts, what it reuses, that
// the run completes only once the last evaluation is written, and duplicates / resume.
import { describe, expect, it } from 'vitest';
import type { Task } from '../schemas/messages.ts';
import { deriveEvalProgress, deriveRunState } from './run-state.ts';
import { MachineHost } from './test-host.ts';

const RUN = 'evalrun';
const SHARDS = 1;
const EVAL_SHARDS = 2;

/** The machine's test host (test-host.ts) with the evaluation stage: EVAL_SHARDS evaluation shards. */
class EvalHost extends MachineHost {
  constructor(rounds: number, evalEvery = 1) {
    super({ runId: RUN, iterations: rounds, shards: SHARDS, evalShards: EVAL_SHARDS, evalEvery });
  }
}

describe('evaluation stage', () => {
  it('evaluates every round beside the next one, reuses pi_0 and pi_t samples, completes after the last evaluation', () => {
    const host = new EvalHost(3);
    host.handle({ type: 'run.created', run_id: RUN });
    expect(host.started('write_eval_manifest')).toEqual([]); // nothing before checkpoint 1
    host.drain();
    expect(host.status).toBe('completed');
    expect(host.log.filter((c) => c.kind === 'write_eval_manifest').map((c) => c.round)).toEqual([0, 1, 2]);
    // Each checkpoint's samples made once: pi_0 for round 0 only, pi_1 for round 0 and reused by round 1, ...
    const samples = host.log.flatMap((c) => (c.kind === 'enqueue_eval_generate' ? [`${c.policy}/${c.shard}`] : []));
    expect(samples.sort()).toEqual(['0/0', '0/1', '1/0', '1/1', '2/0', '2/1', '3/0', '3/1']);
    expect(host.log.filter((c) => c.kind === 'enqueue_eval_judge')).toHaveLength(3 * EVAL_SHARDS);
    expect(host.log.filter((c) => c.kind === 'write_eval_metrics').map((c) => c.round)).toEqual([0, 1, 2]);
    // complete_run comes after the last metrics
    const kinds = host.log.map((c) => c.kind);
    expect(kinds.indexOf('complete_run')).toBeGreaterThan(kinds.lastIndexOf('write_eval_metrics'));
    expect(host.started('complete_run')).toHaveLength(1);
  });

  it('starts round t+1 first, then round t\'s evaluation (beside, not before)', () => {
    const host = new EvalHost(2);
    host.handle({ type: 'run.created', run_id: RUN });
    for (const task of host.tasks.splice(0)) host.handle(host.work(task)); // generate 0
    for (const task of host.tasks.splice(0)) host.handle(host.work(task)); // judge 0
    const train = host.tasks.splice(0);
    expect(train).toEqual([{ type: 'train', run_id: RUN, round: 0 }]);
    const commands = host.handle(host.work(train[0] as Task)).map((c) => c.kind);
    expect(commands.slice(0, 3)).toEqual(['write_manifest', 'enqueue_generate', 'write_eval_manifest']);
    expect(commands.filter((k) => k === 'enqueue_eval_generate')).toHaveLength(2 * EVAL_SHARDS); // pi_0 and pi_1
  });

  it('with eval_every 2, evaluates checkpoints 2 and the last one (3), and makes pi_t samples it lacks', () => {
    const host = new EvalHost(3, 2);
    host.handle({ type: 'run.created', run_id: RUN });
    host.drain();
    expect(host.status).toBe('completed');
    expect(host.log.filter((c) => c.kind === 'write_eval_manifest').map((c) => c.round)).toEqual([1, 2]);
    const samples = new Set(host.log.flatMap((c) => (c.kind === 'enqueue_eval_generate' ? [c.policy] : [])));
    expect([...samples].sort()).toEqual([0, 1, 2, 3]); // round 1 needs pi_1 although round 0 was not evaluated
  });

  it('every event delivered twice: no evaluation unit starts twice and the run completes once', () => {
    const host = new EvalHost(2);
    host.handle({ type: 'run.created', run_id: RUN });
    host.drain(2);
    expect(host.status).toBe('completed');
    for (const kind of ['write_eval_manifest', 'enqueue_eval_generate', 'enqueue_eval_judge', 'write_eval_metrics', 'complete_run'] as const) {
      const all = host.started(kind);
      expect(new Set(all).size, kind).toBe(all.length);
    }
  });

  it('the run is not complete while the last evaluation is missing; a stray eval event starts nothing', () => {
    const host = new EvalHost(1);
    host.handle({ type: 'run.created', run_id: RUN });
    while (host.tasks.some((t) => t.type !== 'eval_judge')) {
      const task = host.tasks.shift() as Task;
      if (task.type === 'eval_judge') host.tasks.push(task);
      else host.handle(host.work(task));
    }
    expect(host.status).toBeUndefined(); // checkpoint 1 is ready, its evaluation is not
    expect(deriveEvalProgress(deriveRunState({ runId: RUN, keys: host.keys, numIterations: 1, shardCount: SHARDS, evalShardCount: EVAL_SHARDS }), 0)).toMatchObject({ phase: 'judging', generated: 2, judged: 0 });
    // eval.judged before the judgments exist: ignored
    expect(host.handle({ type: 'eval.judged', run_id: RUN, round: 0, shard: 0 })).toEqual([]);
    host.drain();
    expect(host.status).toBe('completed');
  });

  it('resume re-enqueues the missing evaluation units, ignoring their markers', () => {
    const host = new EvalHost(1);
    host.handle({ type: 'run.created', run_id: RUN });
    while (host.tasks.length > 0 && host.tasks[0]?.type !== 'eval_generate') host.handle(host.work(host.tasks.shift() as Task));
    host.tasks = []; // the eval_generate messages are lost (e.g. dead-lettered)
    host.status = 'failed';
    const commands = host.handle({ type: 'run.resumed', run_id: RUN });
    expect(commands.filter((c) => c.kind === 'enqueue_eval_generate')).toHaveLength(2 * EVAL_SHARDS);
    host.drain();
    expect(host.status).toBe('completed');
  });

  it('an eval unit failure fails the run; a stale one (output exists) is ignored', () => {
    const host = new EvalHost(1);
    host.handle({ type: 'run.created', run_id: RUN });
    host.drain();
    expect(host.handle({ type: 'unit.failed', run_id: RUN, round: 0, stage: 'eval_judge', shard: 1, reason: 'late copy' })).toEqual([]);
    const other = new EvalHost(1);
    other.handle({ type: 'run.created', run_id: RUN });
    while (other.tasks[0]?.type !== 'eval_generate') other.handle(other.work(other.tasks.shift() as Task));
    const kinds = other.handle({ type: 'unit.failed', run_id: RUN, round: 0, stage: 'eval_generate', shard: 0, reason: 'boom' }).map((c) => c.kind);
    expect(kinds).toEqual(['record_failure', 'set_status']);
    expect(other.status).toBe('failed');
  });
});
