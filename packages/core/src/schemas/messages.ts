/**
 * Queue messages (ARCHITECTURE 3.5). Messages carry ids only, never bulk data or raw keys: every
 * handler derives its S3 keys from (run_id, round, shard) through keys.ts. Unknown extra fields are
 * stripped rather than rejected, so a newer producer does not dead-letter an older consumer.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { toValidationIssues } from '../config/issues.ts';
import { roundSchema, runIdSchema, shardSchema } from '../ids.ts';

/** The training stages, then the evaluation stage's two units (issue 21: evaluation/ in core). */
export const STAGES = ['generate', 'judge', 'train', 'eval_generate', 'eval_judge'] as const;
export const stageSchema = z.enum(STAGES);
export type Stage = z.infer<typeof stageSchema>;

// ---------------------------------------------------------------- tasks (generate / judge / train queues)
export const generateTaskSchema = z.object({ type: z.literal('generate'), run_id: runIdSchema, round: roundSchema, shard: shardSchema });
export const judgeTaskSchema = z.object({ type: z.literal('judge'), run_id: runIdSchema, round: roundSchema, shard: shardSchema });
export const trainTaskSchema = z.object({ type: z.literal('train'), run_id: runIdSchema, round: roundSchema });

/**
 * Evaluation units (issue 21). `round` is the evaluated round t (its checkpoint t+1 against pi_0 and
 * pi_t); an eval_generate unit samples the evaluation prompts of `shard` from checkpoint `policy`
 * (one of 0, t, t+1) as round t's evaluation manifest says. Both travel on the generate and judge
 * queues and are handled by the same workers.
 */
export const evalGenerateTaskSchema = z.object({ type: z.literal('eval_generate'), run_id: runIdSchema, round: roundSchema, policy: roundSchema, shard: shardSchema });
export const evalJudgeTaskSchema = z.object({ type: z.literal('eval_judge'), run_id: runIdSchema, round: roundSchema, shard: shardSchema });
/** What the generate queue carries; the judge queue's. */
export const generateQueueTaskSchema = z.discriminatedUnion('type', [generateTaskSchema, evalGenerateTaskSchema]);
export const judgeQueueTaskSchema = z.discriminatedUnion('type', [judgeTaskSchema, evalJudgeTaskSchema]);

export const taskSchema = z.discriminatedUnion('type', [generateTaskSchema, judgeTaskSchema, trainTaskSchema, evalGenerateTaskSchema, evalJudgeTaskSchema]);
export type GenerateTask = z.infer<typeof generateTaskSchema>;
export type JudgeTask = z.infer<typeof judgeTaskSchema>;
export type TrainTask = z.infer<typeof trainTaskSchema>;
export type EvalGenerateTask = z.infer<typeof evalGenerateTaskSchema>;
export type EvalJudgeTask = z.infer<typeof evalJudgeTaskSchema>;
export type GenerateQueueTask = z.infer<typeof generateQueueTaskSchema>;
export type JudgeQueueTask = z.infer<typeof judgeQueueTaskSchema>;
export type Task = z.infer<typeof taskSchema>;

// ---------------------------------------------------------------- events (events queue)
export const runCreatedEventSchema = z.object({ type: z.literal('run.created'), run_id: runIdSchema });
export const shardGeneratedEventSchema = z.object({
  type: z.literal('shard.generated'),
  run_id: runIdSchema,
  round: roundSchema,
  shard: shardSchema,
});
export const shardJudgedEventSchema = z.object({
  type: z.literal('shard.judged'),
  run_id: runIdSchema,
  round: roundSchema,
  shard: shardSchema,
});
/** `round` is the round whose training produced checkpoint round+1. */
export const checkpointReadyEventSchema = z.object({ type: z.literal('checkpoint.ready'), run_id: runIdSchema, round: roundSchema });
/** Checkpoint `policy`'s evaluation samples of eval shard `shard` are written (evalGenerationShardKey). */
export const evalGeneratedEventSchema = z.object({ type: z.literal('eval.generated'), run_id: runIdSchema, policy: roundSchema, shard: shardSchema });
/** Round t's evaluation judgments of eval shard `shard` are written (evalJudgmentShardKey). */
export const evalJudgedEventSchema = z.object({ type: z.literal('eval.judged'), run_id: runIdSchema, round: roundSchema, shard: shardSchema });
/** A unit gave up (dead-lettered or failed for good); `shard` is absent for train. */
export const unitFailedEventSchema = z.object({
  type: z.literal('unit.failed'),
  run_id: runIdSchema,
  round: roundSchema,
  stage: stageSchema,
  shard: shardSchema.optional(),
  reason: z.string().min(1).max(4_000),
});
/** A user asked to stop the run: no new work is enqueued; units in flight finish or are skipped. */
export const runCancelledEventSchema = z.object({ type: z.literal('run.cancelled'), run_id: runIdSchema, reason: z.string().max(4_000).optional() });
/** A user asked to continue a cancelled or failed run: whatever is missing is enqueued again. */
export const runResumedEventSchema = z.object({ type: z.literal('run.resumed'), run_id: runIdSchema });

export const eventSchema = z.discriminatedUnion('type', [
  runCreatedEventSchema,
  shardGeneratedEventSchema,
  shardJudgedEventSchema,
  checkpointReadyEventSchema,
  unitFailedEventSchema,
  runCancelledEventSchema,
  runResumedEventSchema,
  evalGeneratedEventSchema,
  evalJudgedEventSchema,
]);
export type RunEvent = z.infer<typeof eventSchema>;
export type RunEventType = RunEvent['type'];

/** Parses a task message body (object or JSON text); throws ValidationError listing every problem. */
export function parseTask(body: unknown): Task {
  return parseMessage(taskSchema, body, 'task message');
}

/** Parses an event message body (object or JSON text); throws ValidationError listing every problem. */
export function parseEvent(body: unknown): RunEvent {
  return parseMessage(eventSchema, body, 'event message');
}

function parseMessage<S extends z.ZodType>(schema: S, body: unknown, subject: string): z.output<S> {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch (error) {
      throw new ValidationError(subject, [{ path: '', message: `not JSON: ${(error as Error).message}` }]);
    }
  }
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw new ValidationError(subject, toValidationIssues(result.error.issues, schema));
  return result.data;
}
