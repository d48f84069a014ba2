import { describe, expect, it } from 'vitest';
import { decodeXml, parseListResult, parseErrorXml } from './aws/xml.ts';
import { encodeKey } from './aws/s3.ts';
import { gatewayConfigFromEnv, GatewayConfigError } from './config.ts';
import { hashApiKey, mintRunId, runBelongsTo, tenantForKey, tenantObjectKey, tenantRunPrefix } from './tenants.ts';

const HASH = 'a'.repeat(64);

describe('gatewayConfigFromEnv', () => {
  it('reads the settings, defaulting the region and emulator credentials', () => {
    const config = gatewayConfigFromEnv({
      SPPO_BUCKET: 'runs-bucket',
      SPPO_AWS_ENDPOINT: 'http://127.0.0.1:4566',
      SPPO_QUEUE_URL_TRAIN: 'http://127.0.0.1:4566/000000000000/sppo-train',
      SPPO_API_KEYS: JSON.stringify([{ tenant: 'acme', key_sha256: HASH.toUpperCase() }]),
    });
    expect(config).toMatchObject({ bucket: 'runs-bucket', region: 'us-east-1', queuePrefix: 'sppo', queueUrls: { train: 'http://127.0.0.1:4566/000000000000/sppo-train' } });
    expect(config.apiKeys).toEqual([{ tenant: 'acme', key_sha256: HASH }]);
    expect(config.credentials.accessKeyId).toBe('sppo-local');
  });

  it('lists every problem at once, naming the variable and never a secret value', () => {
    let error: unknown;
    try {
      gatewayConfigFromEnv({
        SPPO_BUCKET: 'Bad_Bucket',
        SPPO_REGION: 'mars',
        SPPO_QUEUE_URL_JUDGE: 'sqs://x',
        AWS_ACCESS_KEY_ID: 'AKIA-only',
        SPPO_API_KEYS: JSON.stringify([{ tenant: 'Acme Corp', key_sha256: 'topsecret' }, { tenant: 'a--b', key_sha256: HASH }]),
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayConfigError);
    const problems = (error as GatewayConfigError).problems;
    expect(problems.map((p) => p.split(/[ :[]/)[0])).toEqual(['SPPO_BUCKET', 'SPPO_REGION', 'SPPO_QUEUE_URL_JUDGE', 'AWS_ACCESS_KEY_ID', 'SPPO_API_KEYS', 'SPPO_API_KEYS', 'SPPO_API_KEYS']);
    expect(problems.join('\n')).not.toContain('topsecret');
    expect(problems.join('\n')).toContain('SPPO_API_KEYS[0].key_sha256');
  });

  it('refuses a missing key list, invalid JSON and a key given to two tenants', () => {
    const base = { SPPO_BUCKET: 'b-1', SPPO_AWS_ENDPOINT: 'http://127.0.0.1:1' };
    expect(() => gatewayConfigFromEnv(base)).toThrow(/SPPO_API_KEYS is not set/);
    expect(() => gatewayConfigFromEnv({ ...base, SPPO_API_KEYS: '[' })).toThrow(/not valid JSON/);
    expect(() => gatewayConfigFromEnv({ ...base, SPPO_API_KEYS: JSON.stringify([{ tenant: 'a', key_sha256: HASH }, { tenant: 'b', key_sha256: HASH }]) })).toThrow(/same key_sha256 twice/);
    expect(() => gatewayConfigFromEnv({ SPPO_BUCKET: 'b-1', SPPO_API_KEYS: JSON.stringify([{ tenant: 'a', key_sha256: HASH }]) })).toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });
});

describe('tenants and run ids', () => {
  it('mints sortable run ids that carry the tenant and cannot match another tenant', () => {
    const id = mintRunId('team-7', new Date('2026-01-31T12:34:56.789Z'));
    expect(id).toMatch(/^team-7--20260131-123456-[0-9a-f]{8}$/);
    expect(runBelongsTo(id, 'team-7')).toBe(true);
    expect(runBelongsTo(id, 'team')).toBe(false);
    expect(tenantRunPrefix('team')).toBe('runs/team--');
    expect(id.startsWith(tenantRunPrefix('team').slice('runs/'.length))).toBe(false);
    expect(() => mintRunId('Team')).toThrow();
  });

  it('resolves user keys under the tenant area only', () => {
    expect(tenantObjectKey('acme', 'data/p.jsonl')).toBe('tenants/acme/data/p.jsonl');
    for (const bad of ['../x.jsonl', 'a/../b.jsonl', '/abs.jsonl', 'a//b.jsonl', '.hidden.jsonl', 'caf\u00e9.jsonl', 'a/b/c/d/e/f/g/h/i.jsonl']) {
      expect(tenantObjectKey('acme', bad)).toBeNull();
    }
  });

  it('finds the tenant of a key by its SHA-256', async () => {
    const entries = [{ tenant: 'acme', key_sha256: await hashApiKey('s3cret') }];
    expect(await hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await tenantForKey('s3cret', entries)).toBe('acme');
    expect(await tenantForKey('S3cret', entries)).toBeNull();
  });
});

describe('S3 wire format', () => {
  it('parses ListObjectsV2 results with entities, prefixes and continuation', () => {
    const xml = `<?xml version="1.0"?><ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;1</NextContinuationToken>
      <Contents><Key>runs/a&amp;b/x.json</Key><Size>12</Size><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>
      <CommonPrefixes><Prefix>runs/acme--1/</Prefix></CommonPrefixes></ListBucketResult>`;
    expect(parseListResult(xml)).toEqual({ objects: [{ key: 'runs/a&b/x.json', size: 12, lastModified: '2026-01-01T00:00:00.000Z' }], prefixes: ['runs/acme--1/'], nextToken: 'tok&1' });
    expect(parseListResult('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>')).toEqual({ objects: [], prefixes: [] });
    expect(parseErrorXml('<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>')).toEqual({ code: 'NoSuchBucket', message: 'gone' });
    expect(decodeXml('&lt;&#65;&#x42;&gt;')).toBe('<AB>');
  });
  it('encodes keys per segment as SigV4 expects', () => {
    expect(encodeKey("runs/r/round=0/a b(1)!.json")).toBe('runs/r/round%3D0/a%20b%281%29%21.json');
  });
});
