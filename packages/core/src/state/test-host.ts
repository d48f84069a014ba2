/**
 * For the state machine's tests (machine.test.ts, machine-eval.test.ts): a tiny host of the machine
 * as the module header describes it (derive, advance, execute), with an in-memory bucket (a key
 * set), a task queue and the status record; its workers write each task's output key and answer
 * with the event the real service publishes. Enqueues leave the markers the real host writes.
 */
import {
  checkpointCompleteKey,
  enqueuedMarkerKey,
  evalGenerateMarkerKey,
  evalGenerationShardKey,
  evalJudgeMarkerKey,
  evalJudgmentShardKey,
  evalManifestKey,
  evalMetricsKey,
  failureKey,
  generationShardKey,
  manifestKey,
  runConfigKey,
  tripletShardKey,
} from '../keys.ts';
import type { RunEvent, Task } from '../schemas/messages.ts';
import type { RunStatus } from '../schemas/records.ts';
import { advance, type Command } from './machine.ts';
import { deriveRunState, type RunState } from './run-state.ts';

export interface MachineHostOptions {
  runId: string;
  iterations: number;
  shards: number;
  /** Evaluation shards; without them the run has no evaluation stage. */
  evalShards?: number;
  evalEvery?: number;
}

export class MachineHost {
  readonly options: MachineHostOptions;
  keys: Set<string>;
  status: RunStatus | undefined;
  tasks: Task[] = [];
  log: Command[] = [];

  constructor(options: MachineHostOptions) {
    this.options = options;
    this.keys = new Set<string>([runConfigKey(options.runId), checkpointCompleteKey(options.runId, 0)]);
  }

  derive(): RunState {
    const { runId, iterations, shards, evalShards, evalEvery } = this.options;
    return deriveRunState({
      runId,
      keys: this.keys,
      numIterations: iterations,
      shardCount: shards,
      ...(evalShards === undefined ? {} : { evalShardCount: evalShards }),
      ...(evalEvery === undefined ? {} : { evalEvery }),
      ...(this.status === undefined ? {} : { status: this.status }),
    });
  }

  /** Derive, advance, execute (the module header's contract); returns the commands. */
  handle(event: RunEvent): Command[] {
    const { commands } = advance(this.derive(), event);
    for (const command of commands) this.execute(command);
    return commands;
  }

  execute(c: Command): void {
    const run = this.options.runId;
    this.log.push(c);
    switch (c.kind) {
      case 'write_manifest':
        this.keys.add(manifestKey(run, c.round));
        break;
      case 'enqueue_generate':
        for (const shard of c.shards) this.tasks.push({ type: 'generate', run_id: run, round: c.round, shard });
        break;
      case 'enqueue_judge':
        this.tasks.push({ type: 'judge', run_id: run, round: c.round, shard: c.shard });
        this.keys.add(enqueuedMarkerKey(run, c.round, 'judge', c.shard));
        break;
      case 'enqueue_train':
        this.tasks.push({ type: 'train', run_id: run, round: c.round });
        this.keys.add(enqueuedMarkerKey(run, c.round, 'train'));
        break;
      case 'write_eval_manifest':
        this.keys.add(evalManifestKey(run, c.round));
        break;
      case 'enqueue_eval_generate':
        this.tasks.push({ type: 'eval_generate', run_id: run, round: c.round, policy: c.policy, shard: c.shard });
        this.keys.add(evalGenerateMarkerKey(run, c.policy, c.shard));
        break;
      case 'enqueue_eval_judge':
        this.tasks.push({ type: 'eval_judge', run_id: run, round: c.round, shard: c.shard });
        this.keys.add(evalJudgeMarkerKey(run, c.round, c.shard));
        break;
      case 'write_eval_metrics':
        this.keys.add(evalMetricsKey(run, c.round));
        break;
      case 'set_status':
        this.status = c.status;
        break;
      case 'complete_run':
        this.status = 'completed';
        break;
      case 'record_failure':
        this.keys.add(failureKey(run, c.stage, c.round, c.shard));
        break;
    }
  }

  /** A worker doing one task: writes its output, returns the event it publishes. */
  work(task: Task): RunEvent {
    const run = this.options.runId;
    switch (task.type) {
      case 'generate':
        this.keys.add(generationShardKey(run, task.round, task.shard));
        return { type: 'shard.generated', run_id: run, round: task.round, shard: task.shard };
      case 'judge':
        this.keys.add(tripletShardKey(run, task.round, task.shard));
        return { type: 'shard.judged', run_id: run, round: task.round, shard: task.shard };
      case 'train':
        this.keys.add(checkpointCompleteKey(run, task.round + 1));
        return { type: 'checkpoint.ready', run_id: run, round: task.round };
      case 'eval_generate':
        this.keys.add(evalGenerationShardKey(run, task.policy, task.shard));
        return { type: 'eval.generated', run_id: run, policy: task.policy, shard: task.shard };
      case 'eval_judge':
        this.keys.add(evalJudgmentShardKey(run, task.round, task.shard));
        return { type: 'eval.judged', run_id: run, round: task.round, shard: task.shard };
    }
  }

  /** Runs workers until the queue is empty; `deliveries` > 1 delivers every event again. */
  drain(deliveries = 1): void {
    for (let task = this.tasks.shift(); task !== undefined; task = this.tasks.shift()) {
      const event = this.work(task);
      for (let d = 0; d < deliveries; d++) this.handle(event);
    }
  }

  count(kind: Command['kind']): number {
    return this.log.filter((c) => c.kind === kind).length;
  }

  /** The commands of one kind, each as JSON (to compare or count distinct ones). */
  started(kind: Command['kind']): string[] {
    return this.log.filter((c) => c.kind === kind).map((c) => JSON.stringify(c));
  }
}
