/**
 * The automation's Node host: polls the events queue with @sppo/cloud's worker loop (long polling,
 * heartbeat, explicit ack after the commands ran, malformed events to the DLQ at once) and hands
 * each event to handleEvent, one event of a run at a time (duplicates still waiting are coalesced:
 * automation/run-serializer.ts). Every `progressIntervalSeconds` it logs one `events.progress`
 * line (counts, runs busy, RSS, heap, and the live heap after the last major GC: the figure that
 * shows a leak, as RSS and heap used also hold garbage not yet collected), so a long storm stays
 * observable. Run by `node services/gateway/src/events-main.ts` (the ECS Fargate
 * service of infra/, the `events` command of SERVICE_COMMANDS) and by `./sppo up` in-process.
 */
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { cloudConfigFromEnv, createLogger, createQueue, runWorker, type CloudConfig, type Logger, type WorkerHandle } from '@sppo/cloud';
import { eventSchema, type RunEvent } from '@sppo/core';
import { cloudPorts } from './adapters/cloud.ts';
import { handleEvent } from './automation/handle-event.ts';
import { createRunSerializer } from './automation/run-serializer.ts';

export interface EventsWorkerOptions {
  /** Default: cloudConfigFromEnv() (SPPO_AWS_ENDPOINT, SPPO_BUCKET, SPPO_QUEUE_PREFIX, AWS_REGION). */
  config?: CloudConfig;
  /**
   * Events received and handled at once. Events of one run are handled one at a time (the
   * serializer), so this only adds parallelism across runs and lets copies of a waiting event be
   * answered together: handling is I/O (three S3 calls), hence 16 (issue 18: storms drained about
   * twice as fast as with 4).
   */
  concurrency?: number;
  /** The events queue's visibility timeout (bootstrap default 30 s; the stack's 60 s). */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  waitTimeSeconds?: number;
  logger?: Logger;
  signal?: AbortSignal;
  /** Stop on SIGTERM / SIGINT (true for the process entry, false when embedded). */
  handleSignals?: boolean;
  /** Seconds between `events.progress` lines; 0 = none. */
  progressIntervalSeconds?: number;
}

export function startEventsWorker({
  config = cloudConfigFromEnv(),
  concurrency = 16,
  visibilityTimeoutSeconds = 30,
  maxReceiveCount = 5,
  waitTimeSeconds = 20,
  logger = createLogger({ service: 'events' }),
  signal,
  handleSignals = false,
  progressIntervalSeconds = 30,
}: EventsWorkerOptions = {}): WorkerHandle {
  const { store, queues } = cloudPorts(config);
  const serializer = createRunSerializer();
  let coalesced = 0;
  const automationLogger = {
    info: (event: string, fields?: Record<string, unknown>) => logger.info(event, fields),
    warn: (event: string, fields?: Record<string, unknown>) => logger.warn(event, fields),
    error: (event: string, fields?: Record<string, unknown>) => logger.error(event, fields),
  };
  const worker = runWorker<RunEvent>({
    queue: createQueue(config, 'events'),
    dlq: createQueue(config, 'events', { deadLetter: true }),
    schema: eventSchema,
    handler: async (event) => {
      const result = await serializer.run(event.run_id, JSON.stringify(event), () => handleEvent(event, { store, queues, logger: automationLogger }));
      if (result.coalesced) {
        coalesced += 1;
        logger.info('event.coalesced', { run_id: event.run_id, type: event.type, ...('round' in event ? { round: event.round } : {}), ...('shard' in event ? { shard: event.shard } : {}) });
      }
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
  if (progressIntervalSeconds > 0) {
    const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    let liveHeap = getHeapStatistics().used_heap_size;
    const gc = new PerformanceObserver((list) => {
      const major = list.getEntries().some((entry) => (entry as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR);
      if (major) liveHeap = getHeapStatistics().used_heap_size;
    });
    gc.observe({ entryTypes: ['gc'] });
    const timer = setInterval(() => {
      const memory = process.memoryUsage();
      logger.info('events.progress', {
        ...worker.stats(),
        coalesced,
        runs_busy: serializer.busyRuns(),
        rss_mb: mb(memory.rss),
        heap_used_mb: mb(memory.heapUsed),
        heap_live_mb: mb(liveHeap),
      });
    }, progressIntervalSeconds * 1000);
    timer.unref();
    void worker.done.finally(() => {
      clearInterval(timer);
      gc.disconnect();
    });
  }
  return worker;
}
