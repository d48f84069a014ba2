// Structured one-line logs: one JSON object a line with the time, level, service and an event
// name, so CloudWatch / Loki queries and `grep` both work (STYLE guideline 10: non-TTY output is
// one line per step).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  service: string;
  /** Lines below this level are dropped. */
  level?: LogLevel;
  /** Where a finished line goes (without its newline); default: stderr, keeping stdout for data. */
  write?: (line: string) => void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Errors become `{ name, message }` (plus `code` when present) instead of `{}`. */
function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code !== undefined && { code }) };
  }
  return value;
}

export function createLogger({
  service,
  level = 'info',
  write = (line) => process.stderr.write(`${line}\n`),
}: LoggerOptions): Logger {
  const make = (bound: LogFields): Logger => {
    const emit = (lineLevel: LogLevel, event: string, fields: LogFields = {}) => {
      if (RANK[lineLevel] < RANK[level]) return;
      const record: LogFields = { time: new Date().toISOString(), level: lineLevel, service, event };
      for (const [k, v] of Object.entries({ ...bound, ...fields })) record[k] = serialise(v);
      write(JSON.stringify(record));
    };
    return {
      debug: (event, fields) => emit('debug', event, fields),
      info: (event, fields) => emit('info', event, fields),
      warn: (event, fields) => emit('warn', event, fields),
      error: (event, fields) => emit('error', event, fields),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}

/** A logger that drops everything (tests, library callers that log themselves). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
