// The queue worker loop shared by the generator, judge and trainer (ARCHITECTURE 3.5): long-poll,
// bounded concurrency, per-message heartbeat, explicit ack after success, DLQ for invalid
// messages, and a graceful shutdown that finishes in-flight work and acks only what finished.
import { sleep } from './concurrency.ts';
import { PermanentError } from './errors.ts';
import { createLogger, type Logger } from './logger.ts';
import { MAX_VISIBILITY_TIMEOUT_SECONDS, MAX_WAIT_TIME_SECONDS, type Queue, type ReceivedMessage } from './queue.ts';
import type { SchemaLike } from './schema.ts';
import { processMessage, type MessageHandler, type MessageOutcome, type OnFailure } from './worker-message.ts';

export interface WorkerOptions<T> {
  queue: Queue;
  /** Where invalid (non-JSON or schema-failing) messages go at once; see README. */
  dlq?: Queue;
  schema: SchemaLike<T>;
  handler: MessageHandler<T>;
  /** Messages handled at the same time. */
  concurrency?: number;
  /** Invisibility requested on receive and renewed by each heartbeat. */
  visibilityTimeoutSeconds?: number;
  /** Heartbeat interval (may be fractional); default a third of the visibility timeout. */
  heartbeatSeconds?: number;
  /** The queue's RedrivePolicy maxReceiveCount, to tell onFailure which attempt was the last. */
  maxReceiveCount?: number;
  /** Long-poll wait per receive (0-20 s). */
  waitTimeSeconds?: number;
  /** After a handler failure, make the message visible again after this delay instead of the full timeout. */
  retryDelaySeconds?: number;
  onFailure?: OnFailure;
  /**
   * Handler errors that no retry can fix: the message is forwarded to the DLQ at once (with the
   * reason attributes of invalid messages), acked, and onFailure gets kind 'permanent'.
   * Default: instances of PermanentError.
   */
  isPermanent?: (error: unknown) => boolean;
  /** Name in every log line; default the queue name. */
  service?: string;
  logger?: Logger;
  /** Aborting it stops the worker gracefully. */
  signal?: AbortSignal;
  /** Stop gracefully on SIGTERM / SIGINT (the listeners are removed when the worker ends). */
  handleSignals?: boolean;
}

export interface WorkerStats {
  received: number;
  acked: number;
  failed: number;
  deadLettered: number;
  released: number;
  inFlight: number;
}

export interface WorkerHandle {
  /** Stops polling, waits for in-flight messages to finish (acking those that succeed). */
  stop(): Promise<void>;
  /** Resolves once the worker stopped and drained. */
  done: Promise<void>;
  stats(): WorkerStats;
}

function checkOptions(o: {
  concurrency: number;
  visibilityTimeoutSeconds: number;
  heartbeatSeconds: number;
  maxReceiveCount: number;
  waitTimeSeconds: number;
}): void {
  const problems: string[] = [];
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) problems.push(`concurrency ${o.concurrency}: use an integer >= 1`);
  if (!Number.isInteger(o.visibilityTimeoutSeconds) || o.visibilityTimeoutSeconds < 1 || o.visibilityTimeoutSeconds > MAX_VISIBILITY_TIMEOUT_SECONDS) {
    problems.push(`visibilityTimeoutSeconds ${o.visibilityTimeoutSeconds}: use an integer from 1 to ${MAX_VISIBILITY_TIMEOUT_SECONDS}`);
  }
  if (!(o.heartbeatSeconds > 0 && o.heartbeatSeconds < o.visibilityTimeoutSeconds)) {
    problems.push(`heartbeatSeconds ${o.heartbeatSeconds}: use a number > 0 and below visibilityTimeoutSeconds (${o.visibilityTimeoutSeconds})`);
  }
  if (!Number.isInteger(o.maxReceiveCount) || o.maxReceiveCount < 1) problems.push(`maxReceiveCount ${o.maxReceiveCount}: use an integer >= 1`);
  if (!Number.isInteger(o.waitTimeSeconds) || o.waitTimeSeconds < 0 || o.waitTimeSeconds > MAX_WAIT_TIME_SECONDS) {
    problems.push(`waitTimeSeconds ${o.waitTimeSeconds}: use an integer from 0 to ${MAX_WAIT_TIME_SECONDS}`);
  }
  if (problems.length > 0) throw new RangeError(`runWorker: invalid options:\n  - ${problems.join('\n  - ')}`);
}

export function runWorker<T>({
  queue,
  dlq,
  schema,
  handler,
  concurrency = 1,
  visibilityTimeoutSeconds = 60,
  heartbeatSeconds = visibilityTimeoutSeconds / 3,
  maxReceiveCount = 5,
  waitTimeSeconds = MAX_WAIT_TIME_SECONDS,
  retryDelaySeconds,
  onFailure,
  isPermanent = (error) => error instanceof PermanentError,
  service = queue.name,
  logger = createLogger({ service }),
  signal,
  handleSignals = true,
}: WorkerOptions<T>): WorkerHandle {
  checkOptions({ concurrency, visibilityTimeoutSeconds, heartbeatSeconds, maxReceiveCount, waitTimeSeconds });
  const log = logger.child({ queue: queue.name });
  const stats: WorkerStats = { received: 0, acked: 0, failed: 0, deadLettered: 0, released: 0, inFlight: 0 };
  const inFlight = new Set<Promise<void>>();
  const pollAbort = new AbortController();
  let stopping = false;

  const stop = (reason = 'stop()') => {
    if (!stopping) {
      stopping = true;
      log.info('worker.stopping', { reason, in_flight: inFlight.size });
      pollAbort.abort();
    }
    return done;
  };
  const onSignal = (name: NodeJS.Signals) => void stop(name);
  const onAbort = () => void stop('abort signal');
  if (handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  signal?.addEventListener('abort', onAbort, { once: true });

  const count = (outcome: MessageOutcome) => {
    if (outcome === 'acked') stats.acked += 1;
    else if (outcome === 'dead-lettered') stats.deadLettered += 1;
    else stats.failed += 1;
  };
  const processOptions = {
    queue,
    dlq,
    schema,
    handler,
    visibilityTimeoutSeconds,
    heartbeatSeconds,
    maxReceiveCount,
    retryDelaySeconds,
    onFailure,
    isPermanent,
    logger: log,
  };
  const start = (message: ReceivedMessage) => {
    stats.received += 1;
    stats.inFlight += 1;
    const task: Promise<void> = processMessage(message, processOptions)
      .then(count, (error: unknown) => {
        stats.failed += 1;
        log.error('worker.internal_error', { message_id: message.messageId, error });
      })
      .finally(() => {
        stats.inFlight -= 1;
        inFlight.delete(task);
      });
    inFlight.add(task);
  };
  // Messages that arrived after stop() was requested are handed back untouched, not processed.
  const release = async (messages: ReceivedMessage[]) => {
    await Promise.all(
      messages.map((m) =>
        queue.changeVisibility(m, 0).then(
          () => void (stats.released += 1),
          (error: unknown) => log.warn('message.release_failed', { message_id: m.messageId, error }),
        ),
      ),
    );
  };

  const loop = async () => {
    log.info('worker.started', { concurrency, visibility_timeout_s: visibilityTimeoutSeconds, heartbeat_s: heartbeatSeconds });
    let backoffMs = 0;
    while (!stopping) {
      if (inFlight.size >= concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      let messages: ReceivedMessage[];
      try {
        messages = await queue.receive({
          maxMessages: Math.min(10, concurrency - inFlight.size),
          waitTimeSeconds,
          visibilityTimeoutSeconds,
          signal: pollAbort.signal,
        });
        backoffMs = 0;
      } catch (error) {
        backoffMs = Math.min(Math.max(backoffMs * 2, 500), 10_000);
        log.error('worker.receive_failed', { error, retry_in_ms: backoffMs });
        await sleep(backoffMs, pollAbort.signal);
        continue;
      }
      if (stopping) {
        await release(messages);
        break;
      }
      for (const message of messages) start(message);
    }
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };

  const done = loop().finally(() => {
    if (handleSignals) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    signal?.removeEventListener('abort', onAbort);
    log.info('worker.stopped', { ...stats });
  });
  if (signal?.aborted) void stop('abort signal');
  return { stop: () => stop(), done, stats: () => ({ ...stats }) };
}
