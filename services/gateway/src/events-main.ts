// Process entry of the events worker (the round state machine host):
//   node services/gateway/src/events-main.ts
// Environment: SPPO_AWS_ENDPOINT (emulator) or AWS credentials from the default chain, SPPO_BUCKET,
// SPPO_QUEUE_PREFIX, AWS_REGION; SPPO_EVENTS_CONCURRENCY (default 4),
// SPPO_VISIBILITY_TIMEOUT_SECONDS and SPPO_MAX_RECEIVE_COUNT (set by the stack). Stops on SIGTERM.
import { startEventsWorker } from './events-worker.ts';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name}=${JSON.stringify(raw)} is not a positive integer; unset it or give e.g. ${fallback}`);
    process.exit(2);
  }
  return value;
}

const worker = startEventsWorker({
  concurrency: intFromEnv('SPPO_EVENTS_CONCURRENCY', 4),
  visibilityTimeoutSeconds: intFromEnv('SPPO_VISIBILITY_TIMEOUT_SECONDS', 30),
  maxReceiveCount: intFromEnv('SPPO_MAX_RECEIVE_COUNT', 5),
  handleSignals: true,
});
await worker.done;
