// The Parquet reader inside workerd (wrangler's unstable_dev, offline), every codec the gateway
// decodes: a decoder that needs a Node API, or compiles WASM from bytes while handling a request
// (Workers refuse that), would pass on Node and fail only here.
import { parquetWriteBuffer } from 'hyparquet-writer';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Unstable_DevWorker } from 'wrangler';

process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

let worker: Unstable_DevWorker | undefined;

beforeAll(async () => {
  const { unstable_dev } = await import('wrangler');
  worker = await unstable_dev(fileURLToPath(new URL('./parquet-workerd.fixture.ts', import.meta.url)), {
    compatibilityDate: '2026-08-01',
    compatibilityFlags: ['nodejs_compat'],
    ip: '127.0.0.1',
    local: true,
    logLevel: 'error',
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
  });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
});

const compressors = {
  GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)),
  ZSTD: (input: Uint8Array) => new Uint8Array(zstdCompressSync(input)),
  BROTLI: (input: Uint8Array) => new Uint8Array(brotliCompressSync(input)),
};

it('decodes UNCOMPRESSED, SNAPPY, GZIP, ZSTD and BROTLI files inside workerd', async () => {
  const prompts = Array.from({ length: 300 }, (_, i) => `prompt ${i} ${'é'.repeat(i % 40)}`);
  for (const codec of ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'ZSTD', 'BROTLI'] as const) {
    const columnData = [
      { name: 'prompt', data: prompts, type: 'STRING' as const },
      { name: 'prompt_id', data: prompts.map((_, i) => BigInt(i)), type: 'INT64' as const },
    ];
    const res = await worker!.fetch('/', { method: 'POST', body: new Uint8Array(parquetWriteBuffer({ columnData, codec, compressors })) });
    expect(res.status, `${codec}: ${res.status === 200 ? '' : await res.clone().text()}`).toBe(200);
    expect(await res.json()).toEqual(prompts.map((prompt, i) => ({ prompt_id: String(i), prompt })));
  }
  const bad = await worker!.fetch('/', { method: 'POST', body: 'PAR1 not parquet' });
  expect(bad.status).toBe(400);
  expect(await bad.text()).toMatch(/not a readable Parquet file/);
});
