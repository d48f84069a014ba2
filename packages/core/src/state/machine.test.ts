import { describe, expect, it } from 'vitest';
import {
  checkpointCompleteKey,
  generationShardKey,
  manifestKey,
  runConfigKey,
  tripletShardKey,
} from '../keys.ts';
import type { Task } from '../schemas/messages.ts';
import { advance } from './machine.ts';
import { currentRound, deriveRoundProgress, deriveRunState } from './run-state.ts';
import { MachineHost } from './test-host.ts';

const RUN = 'demo';
const ITERATIONS = 3;
const SHARDS = 2;

/** The machine's test host (test-host.ts) for this file's run: ITERATIONS rounds of SHARDS shards. */
class Host extends MachineHost {
  constructor() {
    super({ runId: RUN, iterations: ITERATIONS, shards: SHARDS });
  }
}

function tasksOf(host: Host, type: Task['type']): Task[] {
  return host.log.flatMap((c): Task[] => {
    if (type === 'generate' && c.kind === 'enqueue_generate') return c.shards.map((shard) => ({ type, run_id: RUN, round: c.round, shard }));
    if (type === 'judge' && c.kind === 'enqueue_judge') return [{ type, run_id: RUN, round: c.round, shard: c.shard }];
    if (type === 'train' && c.kind === 'enqueue_train') return [{ type, run_id: RUN, round: c.round }];
    return [];
  });
}

describe('happy path', () => {
  it('runs 3 rounds end to end and completes exactly once', () => {
    const host = new Host();
    expect(host.handle({ type: 'run.created', run_id: RUN })).toEqual([
      { kind: 'write_manifest', round: 0 },
      { kind: 'enqueue_generate', round: 0, shards: [0, 1] },
    ]);
    host.drain();
    expect(host.status).toBe('completed');
    expect(host.count('write_manifest')).toBe(ITERATIONS);
    expect(tasksOf(host, 'generate')).toHaveLength(ITERATIONS * SHARDS);
    expect(tasksOf(host, 'judge')).toHaveLength(ITERATIONS * SHARDS);
    expect(tasksOf(host, 'train').map((t) => t.round)).toEqual([0, 1, 2]);
    expect(host.count('complete_run')).toBe(1);
    for (let t = 1; t <= ITERATIONS; t++) expect(host.keys.has(checkpointCompleteKey(RUN, t))).toBe(true);
    expect(currentRound(host.derive())).toBeNull();
  });

  it('tracks round progress for the gateway', () => {
    const host = new Host();
    expect(deriveRoundProgress(host.derive(), 0).phase).toBe('waiting');
    host.handle({ type: 'run.created', run_id: RUN });
    expect(deriveRoundProgress(host.derive(), 0)).toEqual({ round: 0, phase: 'generating', shards: 2, generated: 0, judged: 0, checkpointComplete: false });
    host.handle(host.work({ type: 'generate', run_id: RUN, round: 0, shard: 0 }));
    host.handle(host.work({ type: 'generate', run_id: RUN, round: 0, shard: 1 }));
    expect(deriveRoundProgress(host.derive(), 0).phase).toBe('judging');
    host.handle(host.work({ type: 'judge', run_id: RUN, round: 0, shard: 0 }));
    host.handle(host.work({ type: 'judge', run_id: RUN, round: 0, shard: 1 }));
    expect(deriveRoundProgress(host.derive(), 0)).toMatchObject({ phase: 'training', generated: 2, judged: 2 });
    host.handle(host.work({ type: 'train', run_id: RUN, round: 0 }));
    expect(deriveRoundProgress(host.derive(), 0).phase).toBe('done');
    expect(deriveRoundProgress(host.derive(), 1).phase).toBe('generating');
  });
});

describe('duplicates', () => {
  it('every event delivered twice: no stage starts twice', () => {
    const host = new Host();
    host.handle({ type: 'run.created', run_id: RUN });
    expect(host.handle({ type: 'run.created', run_id: RUN })).toEqual([]);
    host.drain(2);
    expect(host.status).toBe('completed');
    expect(host.count('write_manifest')).toBe(ITERATIONS);
    expect(tasksOf(host, 'judge')).toHaveLength(ITERATIONS * SHARDS);
    expect(tasksOf(host, 'train')).toHaveLength(ITERATIONS);
    expect(host.count('complete_run')).toBe(1);
  });
});

describe('out of order', () => {
  it('shard.judged before shard.generated: the late generated event enqueues nothing', () => {
    const host = new Host();
    host.handle({ type: 'run.created', run_id: RUN });
    host.keys.add(generationShardKey(RUN, 0, 0));
    host.keys.add(tripletShardKey(RUN, 0, 0));
    expect(host.handle({ type: 'shard.judged', run_id: RUN, round: 0, shard: 0 })).toEqual([]); // shard 1 still missing
    const { commands, notes } = advance(host.derive(), { type: 'shard.generated', run_id: RUN, round: 0, shard: 0 });
    expect(commands).toEqual([]);
    expect(notes.join()).toMatch(/already judged/);
  });

  it('shard events are hints: without the shard in the listing they start nothing', () => {
    const host = new Host();
    host.handle({ type: 'run.created', run_id: RUN });
    host.keys.add(tripletShardKey(RUN, 0, 0));
    // the listing lacks shard 1's triplets: a stray (or forged) event must not start training
    const stray = advance(host.derive(), { type: 'shard.judged', run_id: RUN, round: 0, shard: 1 });
    expect(stray.commands).toEqual([]);
    expect(stray.notes.join()).toMatch(/not in the listing/);
    const strayGenerated = advance(host.derive(), { type: 'shard.generated', run_id: RUN, round: 0, shard: 1 });
    expect(strayGenerated.commands).toEqual([]);
    expect(strayGenerated.notes.join()).toMatch(/not in the listing/);
    host.keys.add(tripletShardKey(RUN, 0, 1));
    expect(advance(host.derive(), { type: 'shard.judged', run_id: RUN, round: 0, shard: 1 }).commands).toEqual([{ kind: 'enqueue_train', round: 0 }]);
  });

  it('a checkpoint.ready for an old round, or beyond the last round, does nothing', () => {
    const host = new Host();
    host.handle({ type: 'run.created', run_id: RUN });
    host.drain();
    host.status = undefined; // pretend still running to isolate the stale-event rule
    host.keys.delete(checkpointCompleteKey(RUN, 3));
    expect(host.handle({ type: 'checkpoint.ready', run_id: RUN, round: 0 })).toEqual([]);
    const beyond = advance(host.derive(), { type: 'checkpoint.ready', run_id: RUN, round: 7 });
    expect(beyond.commands).toEqual([]);
    expect(beyond.notes.join()).toMatch(/outside/);
    expect(advance(host.derive(), { type: 'shard.generated', run_id: RUN, round: 0, shard: 9 }).notes.join()).toMatch(/outside this run's shards/);
  });
});

describe('race on the last shard', () => {
  it('two finishers both deriving "all judged" give at most one duplicate enqueue_train, then nothing', () => {
    const host = new Host();
    host.handle({ type: 'run.created', run_id: RUN });
    for (const shard of [0, 1]) {
      host.keys.add(generationShardKey(RUN, 0, shard));
      host.keys.add(tripletShardKey(RUN, 0, shard));
    }
    const snapshot = host.derive(); // both hosts list before either writes its marker
    const a = advance(snapshot, { type: 'shard.judged', run_id: RUN, round: 0, shard: 0 });
    const b = advance(snapshot, { type: 'shard.judged', run_id: RUN, round: 0, shard: 1 });
    expect(a.commands).toEqual([{ kind: 'enqueue_train', round: 0 }]);
    expect(b.commands).toEqual([{ kind: 'enqueue_train', round: 0 }]);
    for (const command of [...a.commands, ...b.commands]) host.execute(command);
    expect(host.handle({ type: 'shard.judged', run_id: RUN, round: 0, shard: 1 })).toEqual([]);
    expect(a.state.rounds[0]?.trainEnqueued).toBe(true);
  });
});

describe('last round', () => {
  it('checkpoint.ready of the last round completes the run; later events do nothing', () => {
    const host = new Host();
    for (let t = 0; t < ITERATIONS; t++) host.keys.add(manifestKey(RUN, t));
    for (let t = 1; t < ITERATIONS; t++) host.keys.add(checkpointCompleteKey(RUN, t));
    host.keys.add(checkpointCompleteKey(RUN, ITERATIONS));
    expect(host.handle({ type: 'checkpoint.ready', run_id: RUN, round: ITERATIONS - 1 })).toEqual([{ kind: 'complete_run' }]);
    expect(host.handle({ type: 'checkpoint.ready', run_id: RUN, round: ITERATIONS - 1 })).toEqual([]);
    expect(host.handle({ type: 'run.cancelled', run_id: RUN })).toEqual([]);
    expect(host.handle({ type: 'run.resumed', run_id: RUN })).toEqual([]);
  });
});

describe('checkpoint.ready is a hint, the listing is the truth', () => {
  it('without checkpoints/{t+1}/_COMPLETE it neither starts the next round nor completes the run', () => {
    for (const last of [false, true]) {
      const host = new Host();
      const t = last ? ITERATIONS - 1 : 0;
      for (let r = 0; r <= t; r++) host.keys.add(manifestKey(RUN, r));
      for (let r = 1; r <= t; r++) host.keys.add(checkpointCompleteKey(RUN, r));
      // The torn checkpoint's files are there, its marker is not.
      const result = advance(host.derive(), { type: 'checkpoint.ready', run_id: RUN, round: t });
      expect(result.commands).toEqual([]);
      expect(result.notes.join()).toMatch(/no _COMPLETE/);
      expect(result.state.rounds[t]?.checkpointComplete).toBe(false);
      expect(result.state.status).toBe('running');
      // Once the marker is written, the same event does its work.
      host.keys.add(checkpointCompleteKey(RUN, t + 1));
      expect(host.handle({ type: 'checkpoint.ready', run_id: RUN, round: t })).toEqual(
        last ? [{ kind: 'complete_run' }] : [{ kind: 'write_manifest', round: t + 1 }, { kind: 'enqueue_generate', round: t + 1, shards: [0, 1] }],
      );
    }
  });
});

describe('cancel and resume', () => {
  it('cancel stops new work; resume re-emits what is missing, ignoring markers', () => {
    const host = new Host();
    host.handle({ type: 'run.created', run_id: RUN });
    const generate0 = host.tasks.shift();
    if (generate0 === undefined) throw new Error('no task');
    expect(host.handle({ type: 'run.cancelled', run_id: RUN, reason: 'user' })).toEqual([{ kind: 'set_status', status: 'cancelled', reason: 'user' }]);
    expect(host.handle({ type: 'run.cancelled', run_id: RUN })).toEqual([]);
    // shard 0 finishes after the cancel: no judge is enqueued
    expect(host.handle(host.work(generate0))).toEqual([]);
    host.tasks = []; // the generate task of shard 1 was skipped by a worker that saw the cancel
    expect(host.handle({ type: 'run.resumed', run_id: RUN })).toEqual([
      { kind: 'set_status', status: 'running' },
      { kind: 'enqueue_generate', round: 0, shards: [1] },
      { kind: 'enqueue_judge', round: 0, shard: 0 },
    ]);
    expect(host.handle({ type: 'run.resumed', run_id: RUN })).toEqual([]); // duplicate resume
    host.drain();
    expect(host.status).toBe('completed');
  });

  it('resume of a run stopped before it started writes round 0; stopped between rounds starts the next', () => {
    const host = new Host();
    host.status = 'cancelled';
    expect(host.handle({ type: 'run.created', run_id: RUN })).toEqual([]);
    expect(host.handle({ type: 'run.resumed', run_id: RUN }).map((c) => c.kind)).toEqual(['set_status', 'write_manifest', 'enqueue_generate']);
    const between = new Host();
    between.keys.add(manifestKey(RUN, 0));
    between.keys.add(checkpointCompleteKey(RUN, 1));
    between.status = 'cancelled';
    expect(between.handle({ type: 'run.resumed', run_id: RUN })).toEqual([
      { kind: 'set_status', status: 'running' },
      { kind: 'write_manifest', round: 1 },
      { kind: 'enqueue_generate', round: 1, shards: [0, 1] },
    ]);
  });
});

describe('failures', () => {
  it('a dead-lettered unit is recorded and fails the run; resume retries it', () => {
    // round 0 generated and judged, then its train unit dead-letters
    const fresh = new Host();
    fresh.handle({ type: 'run.created', run_id: RUN });
    for (const shard of [0, 1]) {
      fresh.handle(fresh.work({ type: 'generate', run_id: RUN, round: 0, shard }));
      fresh.handle(fresh.work({ type: 'judge', run_id: RUN, round: 0, shard }));
    }
    expect(fresh.handle({ type: 'unit.failed', run_id: RUN, round: 0, stage: 'train', reason: 'out of memory' })).toEqual([
      { kind: 'record_failure', round: 0, stage: 'train', reason: 'out of memory' },
      { kind: 'set_status', status: 'failed', reason: 'train of round 0 failed: out of memory' },
    ]);
    expect(fresh.derive().failures).toEqual([{ round: 0, stage: 'train' }]);
    expect(fresh.handle({ type: 'shard.judged', run_id: RUN, round: 0, shard: 1 })).toEqual([]); // failed: no new work
    // the train marker exists, yet resume enqueues train again
    expect(fresh.handle({ type: 'run.resumed', run_id: RUN })).toEqual([
      { kind: 'set_status', status: 'running' },
      { kind: 'enqueue_train', round: 0 },
    ]);
  });

  it('a stale failure (the unit\'s output exists) is ignored', () => {
    const host = new Host();
    host.handle({ type: 'run.created', run_id: RUN });
    host.keys.add(generationShardKey(RUN, 0, 1));
    const { commands, notes } = advance(host.derive(), { type: 'unit.failed', run_id: RUN, round: 0, stage: 'generate', shard: 1, reason: 'timeout' });
    expect(commands).toEqual([]);
    expect(notes.join()).toMatch(/stale/);
  });
});

describe('unknown run and misuse', () => {
  it('an unknown run (no run.json) yields no commands', () => {
    const state = deriveRunState({ runId: 'ghost', keys: [checkpointCompleteKey('ghost', 0)], numIterations: 3, shardCount: 1 });
    const result = advance(state, { type: 'run.created', run_id: 'ghost' });
    expect(result.commands).toEqual([]);
    expect(result.notes.join()).toMatch(/unknown run/);
  });
  it('an event of another run is a host bug and throws', () => {
    const host = new Host();
    expect(() => advance(host.derive(), { type: 'run.created', run_id: 'other' })).toThrow(/derive the state of the event's run/);
  });
  it('deriveRunState ignores keys of other runs and validates its options', () => {
    const state = deriveRunState({ runId: RUN, keys: [runConfigKey(RUN), manifestKey('other', 0), tripletShardKey(RUN, 0, 1)], numIterations: 2, shardCount: 2 });
    expect(state.rounds[0]).toMatchObject({ manifestWritten: false, judged: [1] });
    expect(() => deriveRunState({ runId: RUN, keys: [], numIterations: 0, shardCount: 1 })).toThrow(/numIterations/);
  });
  it('advance does not mutate its input state', () => {
    const host = new Host();
    const state = host.derive();
    const copy = structuredClone(state);
    advance(state, { type: 'run.created', run_id: RUN });
    expect(state).toEqual(copy);
  });
});
