import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { eventSchema, parseEvent, parseTask, taskSchema } from './messages.ts';

describe('tasks', () => {
  it('parses each task type, from objects or JSON text', () => {
    expect(parseTask({ type: 'generate', run_id: 'demo-1', round: 0, shard: 3 })).toEqual({ type: 'generate', run_id: 'demo-1', round: 0, shard: 3 });
    expect(parseTask('{"type":"judge","run_id":"r","round":1,"shard":0}').type).toBe('judge');
    expect(parseTask({ type: 'train', run_id: 'r', round: 2 })).toEqual({ type: 'train', run_id: 'r', round: 2 });
    expect(taskSchema.safeParse({ type: 'train', run_id: 'r', round: 2, extra: 1 }).data).toEqual({ type: 'train', run_id: 'r', round: 2 });
  });

  it('rejects bad ids (which would otherwise become S3 keys) listing every problem', () => {
    let error: unknown;
    try {
      parseTask({ type: 'generate', run_id: '../Evil', round: -1, shard: 1.5 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['run_id', 'round', 'shard']);
    expect(() => parseTask({ type: 'score', run_id: 'r' })).toThrow(/'generate', 'judge', 'train'/);
    expect(() => parseTask('not json')).toThrow(/not JSON/);
  });
});

describe('events', () => {
  it('parses every event type', () => {
    const events = [
      { type: 'run.created', run_id: 'r' },
      { type: 'shard.generated', run_id: 'r', round: 0, shard: 1 },
      { type: 'shard.judged', run_id: 'r', round: 0, shard: 1 },
      { type: 'checkpoint.ready', run_id: 'r', round: 0 },
      { type: 'unit.failed', run_id: 'r', round: 0, stage: 'train', reason: 'OOM' },
      { type: 'unit.failed', run_id: 'r', round: 0, stage: 'judge', shard: 2, reason: 'bad shard' },
      { type: 'run.cancelled', run_id: 'r' },
      { type: 'run.resumed', run_id: 'r' },
    ];
    for (const event of events) expect(parseEvent(event)).toEqual(event);
  });
  it('rejects unknown stages and missing reasons', () => {
    expect(eventSchema.safeParse({ type: 'unit.failed', run_id: 'r', round: 0, stage: 'score', reason: 'x' }).success).toBe(false);
    expect(() => parseEvent({ type: 'unit.failed', run_id: 'r', round: 0, stage: 'train' })).toThrow(/reason/);
  });
});
