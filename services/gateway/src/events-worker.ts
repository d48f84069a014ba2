/**
 * The automation's Node host: polls the events queue with @sppo/cloud's worker loop (long polling,
 * heartbeat, explicit ack after the commands ran, malformed events to the DLQ at once) and hands
 * each event to handleEvent. Run by `node services/gateway/src/events-main.ts` (the ECS Fargate
 * service of infra/, the `events` command of SERVICE_COMMANDS) and by `./sppo up` in-process.
 */
import { cloudConfigFromEnv, createLogger, createQueue, runWorker, type CloudConfig, type Logger, type WorkerHandle } from '@sppo/cloud';
import { eventSchema, type RunEvent } from '@sppo/core';
import { cloudPorts } from './adapters/cloud.ts';
import { handleEvent } from './automation/handle-event.ts';

export interface EventsWorkerOptions {
  /** Default: cloudConfigFromEnv() (SPPO_AWS_ENDPOINT, SPPO_BUCKET, SPPO_QUEUE_PREFIX, AWS_REGION). */
  config?: CloudConfig;
  /** Events handled at once; events of one run may race, which the state machine tolerates. */
  concurrency?: number;
  /** The events queue's visibility timeout (bootstrap default 30 s; the stack's 60 s). */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  waitTimeSeconds?: number;
  logger?: Logger;
  signal?: AbortSignal;
  /** Stop on SIGTERM / SIGINT (true for the process entry, false when embedded). */
  handleSignals?: boolean;
}

export function startEventsWorker({
  config = cloudConfigFromEnv(),
  concurrency = 4,
  visibilityTimeoutSeconds = 30,
  maxReceiveCount = 5,
  waitTimeSeconds = 20,
  logger = createLogger({ service: 'events' }),
  signal,
  handleSignals = false,
}: EventsWorkerOptions = {}): WorkerHandle {
  const { store, queues } = cloudPorts(config);
  const automationLogger = {
    info: (event: string, fields?: Record<string, unknown>) => logger.info(event, fields),
    warn: (event: string, fields?: Record<string, unknown>) => logger.warn(event, fields),
    error: (event: string, fields?: Record<string, unknown>) => logger.error(event, fields),
  };
  return runWorker<RunEvent>({
    queue: createQueue(config, 'events'),
    dlq: createQueue(config, 'events', { deadLetter: true }),
    schema: eventSchema,
    handler: async (event) => {
      await handleEvent(event, { store, queues, logger: automationLogger });
    },
    concurrency,
    visibilityTimeoutSeconds,
    maxReceiveCount,
    waitTimeSeconds,
    service: 'events',
    logger,
    onFailure: (message, error, { final, receiveCount }) => {
      logger.error(final ? 'event.dead_lettered' : 'event.failed', { message_id: message.messageId, receive_count: receiveCount, error });
    },
    ...(signal === undefined ? {} : { signal }),
    handleSignals,
  });
}
