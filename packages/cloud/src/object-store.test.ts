import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from './clients.ts';
import { NotFoundError, ResourceMissingError } from './errors.ts';
import { createObjectStore, type ObjectStore } from './object-store.ts';
import type { SchemaLike } from './schema.ts';
import { startTestCloud, type TestCloud } from './test-cloud.ts';

let cloud: TestCloud;
let store: ObjectStore;

/** Records the command names a client sends (observation only: the requests still go out). */
function recordCommands(client: S3Client): string[] {
  const names: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      names.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize' },
  );
  return names;
}

const rowSchema: SchemaLike<{ prompt_id: string }> = {
  safeParse: (v) =>
    typeof (v as { prompt_id?: unknown }).prompt_id === 'string'
      ? { success: true, data: v as { prompt_id: string } }
      : { success: false, error: { issues: [{ path: ['prompt_id'], message: 'required string' }] } },
};

beforeAll(async () => {
  cloud = await startTestCloud();
  store = createObjectStore(cloud.config);
});
afterAll(() => cloud.stop());

describe('object store', () => {
  it('puts and gets text, bytes and JSON with their content types', async () => {
    await store.put('a/text.txt', 'héllo');
    await store.put('a/bytes.bin', new Uint8Array([0, 1, 255]), { contentType: 'application/octet-stream' });
    await store.putJson('a/run.json', { beta: 0.001 });
    expect(await store.getText('a/text.txt')).toBe('héllo');
    expect([...(await store.getBytes('a/bytes.bin'))]).toEqual([0, 1, 255]);
    expect(await store.getJson('a/run.json')).toEqual({ beta: 0.001 });
    expect(await store.head('a/run.json')).toMatchObject({ key: 'a/run.json', contentType: 'application/json' });
    expect((await store.head('a/text.txt'))?.size).toBe(6);
    expect(await store.exists('a/bytes.bin')).toBe(true);
    expect(await store.exists('a/none')).toBe(false);
    expect(await store.head('a/none')).toBeUndefined();
  });

  it('gives a typed NotFound error naming bucket and key', async () => {
    const error = await store.getText('missing/key.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ bucket: 'sppo-test', key: 'missing/key.json' });
    expect((error as Error).message).toBe('s3://sppo-test/missing/key.json does not exist');
    await expect(store.getStream('missing/x')).rejects.toBeInstanceOf(NotFoundError);
    const noBucket = createObjectStore({ ...cloud.config, bucket: 'no-such-bucket' });
    await expect(noBucket.getText('k')).rejects.toBeInstanceOf(ResourceMissingError);
  });

  it('validates JSON against a schema and lists every issue', async () => {
    await store.putJson('a/bad.json', { nope: 1 });
    await expect(store.getJson('a/bad.json', rowSchema)).rejects.toThrow(
      's3://sppo-test/a/bad.json does not match its schema: prompt_id: required string',
    );
  });

  it('lists all pages by prefix and deletes single keys and prefixes', async () => {
    await Promise.all(['p/1', 'p/2', 'p/3', 'p/sub/4', 'p/sub/5', 'q/6'].map((k) => store.put(k, k)));
    const listed = await store.list('p/', { pageSize: 2 });
    expect(listed.map((o) => o.key)).toEqual(['p/1', 'p/2', 'p/3', 'p/sub/4', 'p/sub/5']);
    await store.delete('p/1');
    expect(await store.exists('p/1')).toBe(false);
    expect(await store.deletePrefix('p/sub/')).toBe(2);
    expect((await store.list('p/')).map((o) => o.key)).toEqual(['p/2', 'p/3']);
    expect(await store.exists('q/6')).toBe(true);
  });

  it('round-trips JSONL and reports every bad line by number, in full and streamed', async () => {
    const rows = [{ prompt_id: 'a', responses: ['x', 'y'] }, { prompt_id: 'b', responses: [] }];
    await store.writeJsonl('runs/r/round=0/generations/shard=0.jsonl', rows);
    expect(await store.readJsonl('runs/r/round=0/generations/shard=0.jsonl', rowSchema)).toEqual({ rows, errors: [] });

    await store.put('bad.jsonl', '{"prompt_id":"a"}\n{"prompt_id":1}\n{broken\n{"prompt_id":"d"}\n[]\n');
    const result = await store.readJsonl('bad.jsonl', rowSchema);
    expect(result.rows).toEqual([{ prompt_id: 'a' }, { prompt_id: 'd' }]);
    expect(result.errors).toEqual([
      { line: 2, message: 'prompt_id: required string' },
      { line: 3, message: expect.stringMatching(/^invalid JSON/) },
      { line: 5, message: 'prompt_id: required string' },
    ]);
    const streamed: number[] = [];
    for await (const entry of store.iterateJsonl('bad.jsonl', rowSchema)) streamed.push(entry.error ? -entry.line : entry.line);
    expect(streamed).toEqual([1, -2, -3, 4, -5]);
  });

  it('uploads large bodies with multipart above the threshold', async () => {
    const client = createS3Client(cloud.config);
    const commands = recordCommands(client);
    const big = createObjectStore(cloud.config, { client, partSizeBytes: 5 * 1024 * 1024, multipartThresholdBytes: 8 * 1024 * 1024 });
    const body = randomBytes(11 * 1024 * 1024 + 123);
    await big.put('big/blob.bin', body);
    expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(3);
    expect(commands).toContain('CompleteMultipartUploadCommand');
    expect(commands).not.toContain('PutObjectCommand');
    expect(Buffer.from(await big.getBytes('big/blob.bin')).equals(body)).toBe(true);

    commands.length = 0;
    await big.put('big/small.bin', body.subarray(0, 1024));
    expect(commands).toEqual(['PutObjectCommand']);
    expect(() => createObjectStore(cloud.config, { partSizeBytes: 1024 })).toThrow(/at least 5 MiB/);
  });
});
