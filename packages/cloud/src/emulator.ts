// The local S3 + SQS emulator: fauxqs 2.4.1 bound to loopback. fauxqs's own `startFauxqs` always
// listens on 0.0.0.0 (dist/app.js), which would expose an unauthenticated store to the network, so
// we assemble the same pieces it does (stores, optional SQLite / file persistence, `buildApp`) and
// listen on 127.0.0.1 ourselves (ENVIRONMENT.md, "Local S3 + SQS: fauxqs 2.4.1").
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildApp, type BuildAppOptions } from 'fauxqs';

export interface EmulatorOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** SQLite persistence of queues, messages, buckets and objects: state survives a restart. */
  dataDir?: string;
  /** Store S3 objects as plain files here instead of in SQLite (fauxqs `s3StorageDir`). */
  s3StorageDir?: string;
  /** fauxqs's request log (pino) on stdout. */
  logger?: boolean;
}

export interface Emulator {
  /** http://host:port, for CloudConfig.endpoint / SPPO_AWS_ENDPOINT. */
  readonly endpoint: string;
  readonly port: number;
  readonly host: string;
  stop(): Promise<void>;
}

interface Persistence {
  close(): void;
}
interface SqlitePersistence extends Persistence {
  load(sqs: unknown, sns: unknown, s3: unknown): void;
  loadSqsAndSns(sqs: unknown, sns: unknown): void;
}
interface FilePersistence extends Persistence {
  loadS3(s3: unknown): void;
}
interface StoreWithPersistence {
  persistence?: unknown;
}
interface SqsStoreLike extends StoreWithPersistence {
  allQueues(): Iterable<StoreWithPersistence>;
}

/**
 * fauxqs exports only `buildApp` and `startFauxqs`; the store and persistence classes that
 * `startFauxqs` wires together live in modules beside dist/app.js that its package `exports` map
 * hides from bare specifiers. Importing them by file URL reaches the very same module instances.
 */
async function loadFauxqsInternals() {
  const base = import.meta.resolve('fauxqs');
  const load = async <T>(path: string, name: string): Promise<new (...args: string[]) => T> => {
    const module = (await import(new URL(path, base).href)) as Record<string, unknown>;
    const ctor = module[name];
    if (typeof ctor !== 'function') {
      throw new Error(`fauxqs internals changed: ${path} has no export ${name}; this package expects fauxqs 2.4.x`);
    }
    return ctor as new (...args: string[]) => T;
  };
  return {
    SqsStore: await load<SqsStoreLike>('./sqs/sqsStore.js', 'SqsStore'),
    SnsStore: await load<StoreWithPersistence>('./sns/snsStore.js', 'SnsStore'),
    S3Store: await load<StoreWithPersistence>('./s3/s3Store.js', 'S3Store'),
    PersistenceManager: await load<SqlitePersistence>('./persistence.js', 'PersistenceManager'),
    FileS3Persistence: await load<FilePersistence>('./s3/fileS3Persistence.js', 'FileS3Persistence'),
  };
}

export async function startEmulator({
  port = 0,
  host = '127.0.0.1',
  dataDir,
  s3StorageDir,
  logger = false,
}: EmulatorOptions = {}): Promise<Emulator> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`emulator port ${port} is invalid: use an integer from 0 (any free port) to 65535`);
  }
  const fauxqs = await loadFauxqsInternals();
  const sqsStore = new fauxqs.SqsStore();
  const snsStore = new fauxqs.SnsStore();
  const s3Store = new fauxqs.S3Store();

  // Same order as startFauxqs: load persisted state before attaching persistence to the stores,
  // so that loading does not write every row back.
  let sqlite: SqlitePersistence | undefined;
  let files: FilePersistence | undefined;
  if (dataDir !== undefined) {
    mkdirSync(resolve(dataDir), { recursive: true });
    sqlite = new fauxqs.PersistenceManager(resolve(dataDir));
  }
  if (s3StorageDir !== undefined) files = new fauxqs.FileS3Persistence(resolve(s3StorageDir));
  if (sqlite && !files) {
    sqlite.load(sqsStore, snsStore, s3Store);
  } else {
    sqlite?.loadSqsAndSns(sqsStore, snsStore);
    files?.loadS3(s3Store);
  }
  if (sqlite) {
    sqsStore.persistence = sqlite;
    snsStore.persistence = sqlite;
    for (const queue of sqsStore.allQueues()) queue.persistence = sqlite;
  }
  const s3Persistence = files ?? sqlite;
  if (s3Persistence) s3Store.persistence = s3Persistence;

  const stores = { sqsStore, snsStore, s3Store } as unknown as NonNullable<BuildAppOptions['stores']>;
  const app = buildApp({ logger, stores });
  app.addHook('preClose', () => {
    sqlite?.close();
    files?.close();
  });
  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close();
    throw new Error(
      `the emulator could not listen on ${host}:${port}: ${(error as Error).message}; pick another port (0 = any free port)`,
      { cause: error },
    );
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the emulator did not bind a TCP port');
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${urlHost}:${address.port}`,
    port: address.port,
    host: address.address,
    stop: () => (stopped ??= app.close().then(() => undefined)),
  };
}
