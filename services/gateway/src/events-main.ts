// Process entry of the events worker (the round state machine host):
//   node services/gateway/src/events-main.ts
// Environment: SPPO_AWS_ENDPOINT (emulator) or AWS credentials from the default chain, SPPO_BUCKET,
// SPPO_QUEUE_PREFIX, AWS_REGION; SPPO_EVENTS_CONCURRENCY (default 16),
// SPPO_VISIBILITY_TIMEOUT_SECONDS and SPPO_MAX_RECEIVE_COUNT (set by the stack),
// SPPO_PROGRESS_INTERVAL_SECONDS (default 30: one `events.progress` line with counts and RSS). Stops on SIGTERM.
import { startEventsWorker } from './events-worker.ts';

function intFromEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`${name}=${JSON.stringify(raw)} is not an integer >= ${min}; unset it or give e.g. ${fallback}`);
    process.exit(2);
  }
  return value;
}

const worker = startEventsWorker({
  concurrency: intFromEnv('SPPO_EVENTS_CONCURRENCY', 16),
  visibilityTimeoutSeconds: intFromEnv('SPPO_VISIBILITY_TIMEOUT_SECONDS', 30),
  maxReceiveCount: intFromEnv('SPPO_MAX_RECEIVE_COUNT', 5),
  progressIntervalSeconds: intFromEnv('SPPO_PROGRESS_INTERVAL_SECONDS', 30, 0),
  handleSignals: true,
});
await worker.done;
