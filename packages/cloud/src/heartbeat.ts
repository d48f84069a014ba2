// Keeps a message invisible while its handler runs: every `intervalSeconds` its visibility is
// reset to `visibilityTimeoutSeconds` from now, so long work (a training round) is not redelivered
// to another worker halfway (AWS SQS guide, "Visibility timeout": extend it for long processing).
import type { Logger } from './logger.ts';
import type { Queue, ReceivedMessage } from './queue.ts';

export interface Heartbeat {
  /** Stops extending and waits for an extension already in flight (so none lands after an ack). */
  stop(): Promise<void>;
  /** How many extensions succeeded. */
  readonly beats: number;
}

export function startHeartbeat({
  queue,
  message,
  intervalSeconds,
  visibilityTimeoutSeconds,
  logger,
}: {
  queue: Queue;
  message: ReceivedMessage;
  intervalSeconds: number;
  visibilityTimeoutSeconds: number;
  logger: Logger;
}): Heartbeat {
  let beats = 0;
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (inFlight) return; // the previous extension is still on the wire
    inFlight = queue
      .changeVisibility(message, visibilityTimeoutSeconds)
      .then(() => {
        beats += 1;
      })
      .catch((error: unknown) => {
        // The lease may be lost (receipt expired): the handler keeps going, its outputs are
        // idempotent, and a duplicate delivery rewrites the same keys (ARCHITECTURE 3.5).
        logger.warn('heartbeat.failed', { error });
      })
      .finally(() => {
        inFlight = undefined;
      });
  }, intervalSeconds * 1000);
  return {
    get beats() {
      return beats;
    },
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
