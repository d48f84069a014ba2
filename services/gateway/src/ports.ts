// What the API and the automation need from S3 and SQS, as small interfaces. Two adapters fill
// them: adapters/aws.ts (aws4fetch: Workers and Node, static keys) and adapters/cloud.ts
// (@sppo/cloud's @aws-sdk layer: Node only, the default credential chain, e.g. an ECS task role).

export interface ObjectEntry {
  key: string;
  size: number;
  /** ISO 8601 (may be '' when the store does not say). */
  lastModified: string;
}

/** The object calls the round state machine host makes (automation/). */
export interface RunStore {
  /** The object's text, or null when it does not exist. */
  getText(key: string): Promise<string | null>;
  /** The object's bytes (binary prompt files: Parquet), or null when it does not exist. */
  getBytes(key: string): Promise<Uint8Array | null>;
  put(key: string, body: string, contentType?: string): Promise<void>;
  /** Every object under `prefix`, all pages. */
  listAll(prefix: string): Promise<ObjectEntry[]>;
}

export interface ListPageOptions {
  delimiter?: string;
  maxKeys?: number;
  /** The cursor of the previous page. */
  cursor?: string;
}

export interface KeyPage {
  objects: ObjectEntry[];
  prefixes: string[];
  /** Absent on the last page. */
  cursor?: string;
}

/** The API additionally pages through listings and checks readiness. */
export interface ApiStore extends RunStore {
  /** Server-side copy within the bucket (the base checkpoint into runs/{run}/checkpoints/0/). */
  copy(sourceKey: string, destinationKey: string): Promise<void>;
  listPage(prefix: string, options?: ListPageOptions): Promise<KeyPage>;
  /** Throws when the bucket cannot be reached (readiness check). */
  ping(): Promise<void>;
}

export const QUEUE_KINDS = ['generate', 'judge', 'train', 'events'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

export interface TaskQueues {
  /** Sends one JSON message. */
  send(kind: QueueKind, body: unknown): Promise<void>;
  /** Sends many JSON messages (batched where the adapter can). */
  sendBatch(kind: QueueKind, bodies: readonly unknown[]): Promise<void>;
  /** Throws when the queue cannot be reached (readiness check). */
  ping(kind: QueueKind): Promise<void>;
}

export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/**
 * One JSON object a line. By default each level goes to its console method (Workers logs classify
 * lines by method); a Node process passes `write` to keep stdout for data.
 */
export function createConsoleLogger(
  service = 'gateway',
  write: (level: 'info' | 'warn' | 'error', line: string) => void = (level, line) => (level === 'error' ? console.error(line) : level === 'warn' ? console.warn(line) : console.log(line)),
): Logger {
  const emit = (level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown> = {}): void => {
    const safe = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v instanceof Error ? { name: v.name, message: v.message } : v]));
    write(level, JSON.stringify({ time: new Date().toISOString(), level, service, event, ...safe }));
  };
  return {
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
