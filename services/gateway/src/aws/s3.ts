// A minimal S3 client over aws4fetch (SigV4 signing with Web Crypto), so the same code runs on
// Node and inside Cloudflare Workers where the @aws-sdk clients are too heavy. Only the calls the
// gateway needs: GetObject, PutObject, HeadObject, ListObjectsV2 (AWS S3 API reference).
import { AwsClient } from 'aws4fetch';
import { AwsRequestError } from './errors.ts';
import { parseErrorXml, parseListResult, type ListPage } from './xml.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3ClientOptions {
  bucket: string;
  region: string;
  credentials: AwsCredentials;
  /** An S3-compatible endpoint (the emulator): path-style `${endpoint}/${bucket}/${key}`. */
  endpoint?: string;
  /** Retries of 5xx / 429 answers (aws4fetch's exponential backoff). */
  retries?: number;
  /** Abort a call after this long, so a dead endpoint fails a readiness check instead of hanging. */
  timeoutMs?: number;
}

export interface HeadResult {
  size: number;
  lastModified: string;
  etag: string;
}

export interface ListOptions {
  delimiter?: string;
  maxKeys?: number;
  continuationToken?: string;
  startAfter?: string;
}

export interface S3Client {
  /** The object's text, or null when the key does not exist. */
  getText(key: string): Promise<string | null>;
  getBytes(key: string): Promise<Uint8Array | null>;
  put(key: string, body: string | Uint8Array<ArrayBuffer>, contentType?: string): Promise<void>;
  head(key: string): Promise<HeadResult | null>;
  /** Server-side CopyObject within the bucket (objects up to 5 GB, the S3 limit of one copy). */
  copy(sourceKey: string, destinationKey: string): Promise<void>;
  listPage(prefix: string, options?: ListOptions): Promise<ListPage>;
  headBucket(): Promise<void>;
}

/** Encodes each path segment of a key the way SigV4 expects for S3 (RFC 3986, '/' kept). */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

export function createS3Client({ bucket, region, credentials, endpoint, retries = 3, timeoutMs = 15_000 }: S3ClientOptions): S3Client {
  const aws = new AwsClient({ ...credentials, service: 's3', region, retries });
  // Virtual-hosted style in AWS unless the bucket has dots (TLS wildcard certificates do not
  // cover them); path style for emulators, which fauxqs and friends require.
  const base = endpoint !== undefined
    ? `${endpoint.replace(/\/+$/, '')}/${bucket}`
    : bucket.includes('.')
      ? `https://s3.${region}.amazonaws.com/${bucket}`
      : `https://${bucket}.s3.${region}.amazonaws.com`;

  async function call(operation: string, url: string, init: RequestInit, allow404 = false): Promise<Response | null> {
    const response = await aws.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    if (response.ok) return response;
    const text = init.method === 'HEAD' ? '' : await response.text();
    if (response.status === 404 && allow404) {
      const { code } = parseErrorXml(text);
      // A missing bucket is a deployment problem, not a missing object.
      if (code !== 'NoSuchBucket') return null;
    }
    const { code, message } = parseErrorXml(text);
    throw new AwsRequestError('s3', operation, response.status, code, message || (init.method === 'HEAD' ? '' : text.slice(0, 200)));
  }

  return {
    async getText(key) {
      const response = await call('GetObject', `${base}/${encodeKey(key)}`, { method: 'GET' }, true);
      return response === null ? null : response.text();
    },
    async getBytes(key) {
      const response = await call('GetObject', `${base}/${encodeKey(key)}`, { method: 'GET' }, true);
      return response === null ? null : new Uint8Array(await response.arrayBuffer());
    },
    async put(key, body, contentType = 'application/octet-stream') {
      const response = await call('PutObject', `${base}/${encodeKey(key)}`, { method: 'PUT', body, headers: { 'content-type': contentType } });
      await response?.body?.cancel();
    },
    async head(key) {
      const response = await call('HeadObject', `${base}/${encodeKey(key)}`, { method: 'HEAD' }, true);
      if (response === null) return null;
      const modified = response.headers.get('last-modified');
      return {
        size: Number(response.headers.get('content-length') ?? '0'),
        lastModified: modified === null ? '' : new Date(modified).toISOString(),
        etag: response.headers.get('etag') ?? '',
      };
    },
    async copy(sourceKey, destinationKey) {
      const response = await call('CopyObject', `${base}/${encodeKey(destinationKey)}`, { method: 'PUT', headers: { 'x-amz-copy-source': `/${bucket}/${encodeKey(sourceKey)}` } });
      // CopyObject may answer 200 with an <Error> body when the copy fails late (S3 API reference).
      const text = response === null ? '' : await response.text();
      const { code, message } = parseErrorXml(text);
      if (code !== '') throw new AwsRequestError('s3', 'CopyObject', 200, code, message);
    },
    async listPage(prefix, { delimiter, maxKeys = 1000, continuationToken, startAfter } = {}) {
      const query = new URLSearchParams({ 'list-type': '2', prefix, 'max-keys': String(maxKeys) });
      if (delimiter !== undefined) query.set('delimiter', delimiter);
      if (continuationToken !== undefined) query.set('continuation-token', continuationToken);
      if (startAfter !== undefined) query.set('start-after', startAfter);
      const response = await call('ListObjectsV2', `${base}?${query.toString()}`, { method: 'GET' });
      return parseListResult(await (response as Response).text());
    },
    async headBucket() {
      const response = await call('HeadBucket', base, { method: 'HEAD' });
      await response?.body?.cancel();
    },
  };
}
