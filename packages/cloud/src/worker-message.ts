// What a worker does with one received message: validate, run the handler under a heartbeat, and
// acknowledge only after the handler resolved (its output is durable). Failures are never acked:
// the visibility timeout redelivers and the queue's RedrivePolicy moves the message to its DLQ
// after maxReceiveCount receives. Invalid messages cannot succeed on retry, so they go to the DLQ
// at once with their reason (ARCHITECTURE 3.5), and so do messages whose handler threw a permanent
// error (isPermanent): no retry can fix those either.
import { InvalidMessageError } from './errors.ts';
import { startHeartbeat } from './heartbeat.ts';
import type { Logger } from './logger.ts';
import type { Queue, ReceivedMessage } from './queue.ts';
import { describeSchemaError, type SchemaLike } from './schema.ts';

export interface HandlerContext {
  message: ReceivedMessage;
  receiveCount: number;
  logger: Logger;
}

export type MessageHandler<T> = (body: T, context: HandlerContext) => Promise<void>;

export interface FailureInfo {
  receiveCount: number;
  /** This was the last attempt: the message is dead-lettered and will not be retried. */
  final: boolean;
  /**
   * 'invalid': not JSON or failed the schema; 'handler': the handler threw (retried until the
   * last attempt); 'permanent': the handler threw an error isPermanent accepts (never retried).
   */
  kind: 'invalid' | 'handler' | 'permanent';
}

export type OnFailure = (message: ReceivedMessage, error: unknown, info: FailureInfo) => void | Promise<void>;

/** Message attributes set on a message forwarded to a DLQ by the worker. */
export const DLQ_REASON_ATTRIBUTE = 'sppo-reason';
export const DLQ_SOURCE_QUEUE_ATTRIBUTE = 'sppo-source-queue';
export const DLQ_SOURCE_MESSAGE_ATTRIBUTE = 'sppo-source-message-id';
const MAX_REASON_LENGTH = 1024;

export type MessageOutcome = 'acked' | 'failed' | 'dead-lettered' | 'invalid-kept';

export interface ProcessOptions<T> {
  queue: Queue;
  dlq: Queue | undefined;
  schema: SchemaLike<T>;
  handler: MessageHandler<T>;
  visibilityTimeoutSeconds: number;
  heartbeatSeconds: number;
  maxReceiveCount: number;
  retryDelaySeconds: number | undefined;
  onFailure: OnFailure | undefined;
  /** Handler errors that are dead-lettered at once instead of retried. */
  isPermanent: (error: unknown) => boolean;
  logger: Logger;
}

export async function processMessage<T>(message: ReceivedMessage, options: ProcessOptions<T>): Promise<MessageOutcome> {
  const { queue, schema, handler, logger: base } = options;
  const logger = base.child({ message_id: message.messageId, receive_count: message.receiveCount });
  let value: unknown;
  try {
    value = JSON.parse(message.body);
  } catch (error) {
    return rejectInvalid(message, `body is not JSON: ${(error as Error).message}`, options, logger);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    return rejectInvalid(message, `body does not match the message schema: ${describeSchemaError(parsed.error)}`, options, logger);
  }

  const heartbeat = startHeartbeat({
    queue,
    message,
    intervalSeconds: options.heartbeatSeconds,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    logger,
  });
  const started = performance.now();
  try {
    await handler(parsed.data, { message, receiveCount: message.receiveCount, logger });
  } catch (error) {
    await heartbeat.stop();
    if (options.isPermanent(error)) return rejectPermanent(message, error, options, logger);
    return handleFailure(message, error, options, logger);
  }
  await heartbeat.stop();
  try {
    await queue.ack(message);
  } catch (error) {
    // The output is durable and handlers are idempotent: a redelivery only repeats the work.
    logger.error('message.ack_failed', { error });
    return 'failed';
  }
  logger.info('message.acked', { duration_ms: Math.round(performance.now() - started), heartbeats: heartbeat.beats });
  return 'acked';
}

async function handleFailure<T>(
  message: ReceivedMessage,
  error: unknown,
  options: ProcessOptions<T>,
  logger: Logger,
): Promise<MessageOutcome> {
  const final = message.receiveCount >= options.maxReceiveCount;
  logger.error('message.failed', { error, final, max_receive_count: options.maxReceiveCount });
  await notify(options, message, error, { receiveCount: message.receiveCount, final, kind: 'handler' }, logger);
  if (options.retryDelaySeconds !== undefined) {
    // Come back sooner than the full visibility timeout (still not an ack).
    await options.queue.changeVisibility(message, options.retryDelaySeconds).catch((e: unknown) => {
      logger.warn('message.retry_delay_failed', { error: e });
    });
  }
  return 'failed';
}

/**
 * A handler error no retry can fix. onFailure runs first, and must succeed: it records the unit's
 * failure, and a message dead-lettered without that record would leave its run waiting forever.
 * If it or the forwarding fails, the message is left for redelivery, which fails the same way.
 */
async function rejectPermanent<T>(
  message: ReceivedMessage,
  error: unknown,
  options: ProcessOptions<T>,
  logger: Logger,
): Promise<MessageOutcome> {
  const { queue, dlq, onFailure } = options;
  const reason = error instanceof Error ? error.message : String(error);
  try {
    await onFailure?.(message, error, { receiveCount: message.receiveCount, final: true, kind: 'permanent' });
  } catch (hookError) {
    logger.error('on_failure.failed', { error: hookError, action: 'left for redelivery' });
    return 'failed';
  }
  try {
    // Without a DLQ handle there is nowhere to forward it; it is acked all the same (not retried).
    if (dlq !== undefined) await forward(dlq, queue, message, reason);
    await queue.ack(message);
  } catch (sendError) {
    logger.error('message.failed_permanently', { reason, action: 'dead-lettering failed; will retry', error: sendError });
    return 'failed';
  }
  logger.error('message.failed_permanently', { reason, action: dlq === undefined ? 'acked (no dlq given to runWorker)' : `moved to ${dlq.name}` });
  return 'dead-lettered';
}

/** Sends the body to the DLQ with the reason attributes (the original message is acked by the caller). */
async function forward(dlq: Queue, queue: Queue, message: ReceivedMessage, reason: string): Promise<void> {
  await dlq.sendRaw(message.body, {
    attributes: {
      // SQS allows 10 attributes a message: keep at most 7 of the original ones beside ours.
      ...Object.fromEntries(Object.entries(message.attributes).slice(0, 7)),
      [DLQ_REASON_ATTRIBUTE]: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 3)}...` : reason,
      [DLQ_SOURCE_QUEUE_ATTRIBUTE]: queue.name,
      [DLQ_SOURCE_MESSAGE_ATTRIBUTE]: message.messageId,
    },
  });
}

async function rejectInvalid<T>(
  message: ReceivedMessage,
  reason: string,
  options: ProcessOptions<T>,
  logger: Logger,
): Promise<MessageOutcome> {
  const { queue, dlq } = options;
  const error = new InvalidMessageError(queue.name, reason);
  if (dlq === undefined) {
    // Without a DLQ handle we cannot forward it; the queue's RedrivePolicy dead-letters it after
    // maxReceiveCount receives, so it is still not retried forever.
    logger.error('message.invalid', { reason, action: 'left for the redrive policy (no dlq given to runWorker)' });
    await notify(options, message, error, { receiveCount: message.receiveCount, final: false, kind: 'invalid' }, logger);
    return 'invalid-kept';
  }
  try {
    await forward(dlq, queue, message, reason);
    await queue.ack(message);
  } catch (sendError) {
    logger.error('message.invalid', { reason, action: 'dead-lettering failed; will retry', error: sendError });
    return 'invalid-kept';
  }
  logger.warn('message.invalid', { reason, action: `moved to ${dlq.name}` });
  await notify(options, message, error, { receiveCount: message.receiveCount, final: true, kind: 'invalid' }, logger);
  return 'dead-lettered';
}

async function notify<T>(
  options: ProcessOptions<T>,
  message: ReceivedMessage,
  error: unknown,
  info: FailureInfo,
  logger: Logger,
): Promise<void> {
  if (!options.onFailure) return;
  try {
    await options.onFailure(message, error, info);
  } catch (hookError) {
    logger.error('on_failure.failed', { error: hookError });
  }
}
