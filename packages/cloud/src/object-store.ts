// S3 object store over the real @aws-sdk/client-s3 (ARCHITECTURE 3.2). Keys are always relative to
// the configured bucket. Correctness never relies on conditional puts or bucket notifications:
// fauxqs ignores `IfNoneMatch: '*'` and never delivers notifications (ENVIRONMENT.md), so callers
// use deterministic keys, write completion markers last and publish events explicitly.
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createS3Client } from './clients.ts';
import { resolveCloudConfig, type CloudConfig } from './config.ts';
import { awsErrorName, awsStatusCode, NotFoundError, ResourceMissingError } from './errors.ts';
import { collectJsonl, formatJsonl, parseJsonlStream, type JsonlEntry, type JsonlResult } from './jsonl.ts';
import { downloadFolder, uploadFolder, type DownloadFolderOptions, type UploadFolderOptions } from './folders.ts';
import { anySchema, describeSchemaError, type SchemaLike } from './schema.ts';

const MiB = 1024 * 1024;
/** S3 rejects multipart parts under 5 MiB (except the last one). */
export const MIN_PART_SIZE_BYTES = 5 * MiB;

export interface ObjectInfo {
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
  contentType?: string;
}

export interface PutOptions {
  contentType?: string;
}

export type PutBody = string | Uint8Array;

export interface ObjectStoreOptions {
  /** Share one client between stores (and add middleware); default: createS3Client(config). */
  client?: S3Client;
  /** Bodies of at least this many bytes go through a multipart upload. */
  multipartThresholdBytes?: number;
  /** Part size of multipart uploads (>= 5 MiB; fauxqs accepts request bodies up to 11 MiB). */
  partSizeBytes?: number;
  /** Parts uploaded in parallel. */
  multipartConcurrency?: number;
  /** Files uploaded or downloaded in parallel by uploadFolder / downloadFolder. */
  folderConcurrency?: number;
}

export interface ObjectStore {
  readonly bucket: string;
  readonly client: S3Client;
  put(key: string, body: PutBody, options?: PutOptions): Promise<void>;
  /** Uploads a local file, streaming it (multipart above the threshold). */
  putFile(key: string, path: string, options?: PutOptions): Promise<void>;
  getBytes(key: string): Promise<Uint8Array>;
  getText(key: string): Promise<string>;
  /** The body as a stream of chunks, for objects too big to hold in memory. */
  getStream(key: string): Promise<AsyncIterable<Uint8Array>>;
  /** Parses JSON; with a schema, validates it and throws listing every issue. */
  getJson<T = unknown>(key: string, schema?: SchemaLike<T>): Promise<T>;
  putJson(key: string, value: unknown): Promise<void>;
  head(key: string): Promise<ObjectInfo | undefined>;
  exists(key: string): Promise<boolean>;
  /** Every object under the prefix (all pages), in key order. `pageSize` <= 1000 keys a request. */
  list(prefix: string, options?: { pageSize?: number }): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  /** Deletes every object under the prefix; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  readJsonl<T = unknown>(key: string, rowSchema?: SchemaLike<T>): Promise<JsonlResult<T>>;
  /** Streams rows (and bad lines) one by one without loading the whole object. */
  iterateJsonl<T = unknown>(key: string, rowSchema?: SchemaLike<T>): AsyncGenerator<JsonlEntry<T>>;
  writeJsonl(key: string, rows: Iterable<unknown>): Promise<void>;
  uploadFolder(dir: string, prefix: string, options?: UploadFolderOptions): Promise<{ keys: string[] }>;
  downloadFolder(prefix: string, dir: string, options?: DownloadFolderOptions): Promise<{ dir: string; files: string[] }>;
}

export function createObjectStore(
  config: CloudConfig,
  {
    client = createS3Client(config),
    multipartThresholdBytes = 8 * MiB,
    partSizeBytes = 8 * MiB,
    multipartConcurrency = 4,
    folderConcurrency = 4,
  }: ObjectStoreOptions = {},
): ObjectStore {
  const { bucket } = resolveCloudConfig(config);
  if (!Number.isFinite(partSizeBytes) || partSizeBytes < MIN_PART_SIZE_BYTES) {
    throw new RangeError(`partSizeBytes ${partSizeBytes} is too small: S3 needs parts of at least 5 MiB (${MIN_PART_SIZE_BYTES})`);
  }
  if (!(multipartThresholdBytes > 0)) {
    throw new RangeError(`multipartThresholdBytes ${multipartThresholdBytes} must be a positive number of bytes`);
  }

  const fail = (error: unknown, key: string): never => {
    const name = awsErrorName(error);
    if (name === 'NoSuchBucket') throw new ResourceMissingError(`bucket "${bucket}"`, error);
    if (name === 'NoSuchKey' || name === 'NotFound' || awsStatusCode(error) === 404) {
      throw new NotFoundError(bucket, key);
    }
    throw error;
  };

  const upload = async (key: string, body: Uint8Array | Readable, contentType: string | undefined) => {
    await new Upload({
      client,
      params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
      partSize: partSizeBytes,
      queueSize: multipartConcurrency,
      leavePartsOnError: false,
    }).done();
  };

  const store: ObjectStore = {
    bucket,
    client,

    async put(key, body, options = {}) {
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      const contentType = options.contentType ?? (typeof body === 'string' ? 'text/plain; charset=utf-8' : undefined);
      try {
        if (bytes.byteLength >= multipartThresholdBytes) await upload(key, bytes, contentType);
        else await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType }));
      } catch (error) {
        fail(error, key);
      }
    },

    async putFile(key, path, options = {}) {
      const { size } = await stat(path);
      try {
        if (size >= multipartThresholdBytes) await upload(key, createReadStream(path), options.contentType);
        else {
          const body = await readFile(path);
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: options.contentType }));
        }
      } catch (error) {
        fail(error, key);
      }
    },

    async getStream(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!response.Body) throw new NotFoundError(bucket, key, 'the response had no body');
        // In Node the SDK's body is an http.IncomingMessage, which is an async iterable of Buffers.
        return response.Body as unknown as AsyncIterable<Uint8Array>;
      } catch (error) {
        return fail(error, key);
      }
    },

    async getBytes(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!response.Body) return new Uint8Array();
        return await response.Body.transformToByteArray();
      } catch (error) {
        return fail(error, key);
      }
    },

    async getText(key) {
      return new TextDecoder().decode(await store.getBytes(key));
    },

    async getJson<T = unknown>(key: string, schema: SchemaLike<T> = anySchema as SchemaLike<T>): Promise<T> {
      const text = await store.getText(key);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new Error(`s3://${bucket}/${key} is not valid JSON: ${(error as Error).message}`, { cause: error });
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        throw new Error(`s3://${bucket}/${key} does not match its schema: ${describeSchemaError(parsed.error)}`, {
          cause: parsed.error,
        });
      }
      return parsed.data;
    },

    async putJson(key, value) {
      await store.put(key, `${JSON.stringify(value, null, 2)}\n`, { contentType: 'application/json' });
    },

    async head(key) {
      try {
        const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return {
          key,
          size: r.ContentLength ?? 0,
          ...(r.ETag !== undefined && { etag: r.ETag }),
          ...(r.LastModified !== undefined && { lastModified: r.LastModified }),
          ...(r.ContentType !== undefined && { contentType: r.ContentType }),
        };
      } catch (error) {
        if (awsErrorName(error) !== 'NoSuchBucket' && awsStatusCode(error) === 404) return undefined;
        return fail(error, key);
      }
    },

    async exists(key) {
      return (await store.head(key)) !== undefined;
    },

    async list(prefix, { pageSize } = {}) {
      const objects: ObjectInfo[] = [];
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: pageSize }));
        } catch (error) {
          return fail(error, prefix);
        }
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          objects.push({
            key: o.Key,
            size: o.Size ?? 0,
            ...(o.ETag !== undefined && { etag: o.ETag }),
            ...(o.LastModified !== undefined && { lastModified: o.LastModified }),
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },

    async delete(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        fail(error, key);
      }
    },

    async deletePrefix(prefix) {
      const keys = (await store.list(prefix)).map((o) => o.key);
      // DeleteObjects takes at most 1000 keys a request.
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        const r = await client.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }),
        );
        if (r.Errors && r.Errors.length > 0) {
          const first = r.Errors[0];
          throw new Error(
            `deleting ${r.Errors.length} objects under s3://${bucket}/${prefix} failed (first: ${first?.Key}: ${first?.Code} ${first?.Message}); retry deletePrefix`,
          );
        }
      }
      return keys.length;
    },

    async readJsonl(key, rowSchema) {
      return collectJsonl(store.iterateJsonl(key, rowSchema));
    },

    async *iterateJsonl<T = unknown>(key: string, rowSchema?: SchemaLike<T>): AsyncGenerator<JsonlEntry<T>> {
      yield* parseJsonlStream(await store.getStream(key), rowSchema);
    },

    async writeJsonl(key, rows) {
      await store.put(key, formatJsonl(rows), { contentType: 'application/x-ndjson' });
    },

    uploadFolder: (dir, prefix, options) => uploadFolder(store, dir, prefix, { concurrency: folderConcurrency, ...options }),
    downloadFolder: (prefix, dir, options) =>
      downloadFolder(store, prefix, dir, { concurrency: folderConcurrency, ...options }),
  };
  return store;
}
