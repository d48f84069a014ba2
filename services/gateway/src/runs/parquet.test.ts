// Parquet prompt sources through app.request(), against the real emulator: files written with
// hyparquet-writer (several codecs, the SPPO datasets' extra columns), every bad-input answer, and
// POST /v1/runs/{id}/prompts with a Parquet key.
import { promptsKey, ValidationError } from '@sppo/core';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBodySchema, runCreatedSchema } from '../api/schemas.ts';
import { createApp } from '../app.ts';
import type { GatewayDeps } from '../http/context.ts';
import { silentLogger, type ApiStore } from '../ports.ts';
import { startHarness, TENANTS, type Harness } from '../test-harness.ts';
import { describeRows, isParquet, MAX_LISTED_ROWS, readParquetPrompts } from './parquet.ts';
import { MAX_PROMPT_FILE_BYTES, resolvePromptSource } from './prompts.ts';

/** Parquet files are named `.parquet` (one test also stores one under a `.jsonl` name: found by its PAR1 magic). */
const EXT = 'parquet';

let h: Harness;
let call: (method: string, path: string, body?: unknown) => Promise<Response>;
/** The gateway with a text-only store (no getBytes). */

function caller(store: ApiStore): (method: string, path: string, body?: unknown) => Promise<Response> {
  const deps: GatewayDeps = { ...h.deps, store };
  const app = createApp({ resolveDeps: () => deps, logger: silentLogger });
  return async (method, path, body) =>
    app.request(path, { method, headers: { authorization: `Bearer ${TENANTS.acme}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

beforeAll(async () => {
  h = await startHarness();
  call = caller(h.deps.store);
});
afterAll(() => h.stop());

function parquet(columnData: ColumnSource[], codec: 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'ZSTD' = 'SNAPPY'): Uint8Array {
  const compressors = { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)), ZSTD: (input: Uint8Array) => new Uint8Array(zstdCompressSync(input)) };
  return new Uint8Array(parquetWriteBuffer({ columnData, codec, compressors }));
}

async function upload(key: string, body: Uint8Array | string): Promise<void> {
  await h.objects.put(`tenants/acme/${key}`, body);
}

async function poolOf(runId: string): Promise<unknown[]> {
  return (await h.objects.readJsonl(promptsKey(runId))).rows;
}

async function createRun(key: string): Promise<Response> {
  return call('POST', '/v1/runs', { prompts: { key }, num_iterations: 1 });
}

async function expect400(res: Response): Promise<{ message: string; issues: { path: string; message: string }[] }> {
  expect(res.status).toBe(400);
  const { error } = errorBodySchema.parse(await res.json());
  expect(error.code).toBe('invalid_request');
  return { message: error.message, issues: (error.details as { issues: { path: string; message: string }[] }).issues };
}

const PROMPTS = ['What is 2 + 2?', 'Write a haiku about rain.', 'Explain SPPO in one line: ünïcödé ✓'];

describe('Parquet prompt files: POST /v1/runs with { key }', () => {
  it.each(['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'ZSTD'] as const)('creates a run with exactly the prompts of a %s file', async (codec) => {
    const key = `data/prompts-${codec.toLowerCase()}.${EXT}`;
    await upload(key, parquet([{ name: 'prompt', data: PROMPTS, type: 'STRING' }], codec));
    const res = await createRun(key);
    expect(res.status).toBe(201);
    const created = runCreatedSchema.parse(await res.json());
    expect(created.prompt_count).toBe(3);
    expect(await poolOf(created.run_id)).toEqual(PROMPTS.map((prompt, i) => ({ prompt_id: `p${i}`, prompt })));
  });

  it('takes prompt_id (string, integer, null) and ignores the other columns of the SPPO datasets', async () => {
    // The shape of UCLA-AGI/data-mistral-7b-instruct-sppo-iter*: prompt next to chosen/rejected
    // message lists, scores and generations.
    const chosen = PROMPTS.map((p) => [{ role: 'user', content: p }, { role: 'assistant', content: 'ok' }]);
    const file = parquet([
      { name: 'chosen', data: chosen, type: 'JSON' },
      { name: 'prompt', data: PROMPTS, type: 'STRING' },
      { name: 'prompt_id', data: ['first', null, 'third'], type: 'STRING', nullable: true },
      { name: 'score_chosen', data: [0.9, 0.8, 0.7], type: 'DOUBLE' },
      { name: 'generate_0', data: ['a', 'b', 'c'], type: 'STRING' },
    ]);
    await upload(`sppo/iter1.${EXT}`, file);
    const created = runCreatedSchema.parse(await (await createRun(`sppo/iter1.${EXT}`)).json());
    expect(await poolOf(created.run_id)).toEqual([{ prompt_id: 'first', prompt: PROMPTS[0] }, { prompt_id: 'p1', prompt: PROMPTS[1] }, { prompt_id: 'third', prompt: PROMPTS[2] }]);

    await upload(`ints.${EXT}`, parquet([{ name: 'prompt_id', data: [10n, 20n, 30n], type: 'INT64' }, { name: 'prompt', data: PROMPTS, type: 'STRING' }]));
    const ints = runCreatedSchema.parse(await (await createRun(`ints.${EXT}`)).json());
    expect(await poolOf(ints.run_id)).toEqual(PROMPTS.map((prompt, i) => ({ prompt_id: String(10 * (i + 1)), prompt })));
  });

  it('recognises a Parquet object by its PAR1 magic whatever the key is called', async () => {
    await upload('data/binary.jsonl', parquet([{ name: 'prompt', data: PROMPTS, type: 'STRING' }]));
    const res = await createRun('data/binary.jsonl');
    expect(res.status).toBe(201);
    expect(runCreatedSchema.parse(await res.json()).prompt_count).toBe(3);
  });

  it('400: no prompt column, naming the key and the columns the file has', async () => {
    await upload(`bad/no-prompt.${EXT}`, parquet([{ name: 'text', data: PROMPTS, type: 'STRING' }, { name: 'id', data: [1, 2, 3], type: 'INT32' }]));
    const { message, issues } = await expect400(await createRun(`bad/no-prompt.${EXT}`));
    expect(message).toContain(`prompt file bad/no-prompt.${EXT}`);
    expect(issues).toEqual([{ path: 'column prompt', message: expect.stringMatching(/no "prompt" column \(the file has columns "text", "id"\)/) }]);
  });

  it('400: non-string prompts, listing the first rows and the count', async () => {
    const n = MAX_LISTED_ROWS + 5;
    await upload(`bad/int-prompt.${EXT}`, parquet([{ name: 'prompt', data: Array.from({ length: n }, (_, i) => i), type: 'INT32' }]));
    const ints = await expect400(await createRun(`bad/int-prompt.${EXT}`));
    expect(ints.message).toContain(`prompt file bad/int-prompt.${EXT}`);
    expect(ints.issues).toHaveLength(1);
    expect(ints.issues[0]?.path).toBe('column prompt');
    expect(ints.issues[0]?.message).toContain(`rows ${Array.from({ length: MAX_LISTED_ROWS }, (_, i) => i).join(', ')} and 5 more (${n} rows, 0-based) hold a number`);

    // nulls and empty strings in a string column, a chat-style list, a bad prompt_id: all reported
    await upload(`bad/mixed.${EXT}`, parquet([
      { name: 'prompt', data: ['ok', null, '', 'fine'], type: 'STRING', nullable: true },
      { name: 'prompt_id', data: [1.5, null, 'x', true], type: 'JSON' },
    ]));
    const mixed = await expect400(await createRun(`bad/mixed.${EXT}`));
    expect(mixed.issues).toEqual([
      { path: 'column prompt', message: expect.stringContaining('rows 1, 2 (2 rows, 0-based) hold null or an empty string') },
      { path: 'column prompt_id', message: expect.stringContaining('rows 0, 3 (2 rows, 0-based) hold a number or a boolean') },
    ]);

    await upload(`bad/chat.${EXT}`, parquet([{ name: 'prompt', data: [[{ role: 'user', content: 'hi' }]], type: 'JSON' }]));
    const chat = await expect400(await createRun(`bad/chat.${EXT}`));
    expect(chat.issues[0]?.message).toMatch(/row 0 \(1 row, 0-based\) hold a list \(a chat-style list of messages is not accepted/);
  });

  it('400: an empty .parquet object', async () => {
    await upload('bad/empty.parquet', '');
    expect((await expect400(await createRun('bad/empty.parquet'))).message).toMatch(/prompt file bad\/empty.parquet: 1 problem\n {2}- \(root\): the object is empty \(0 bytes\)/);
  });

  it('400: a file with no rows, a corrupt file, an over-size file', async () => {
    await upload(`bad/no-rows.${EXT}`, parquet([{ name: 'prompt', data: [], type: 'STRING' }]));
    expect((await expect400(await createRun(`bad/no-rows.${EXT}`))).issues[0]?.message).toMatch(/no prompts \(0 rows\)/);

    await upload(`bad/garbage.${EXT}`, 'PAR1 this is not parquet at all');
    expect((await expect400(await createRun(`bad/garbage.${EXT}`))).issues[0]?.message).toMatch(/^not a readable Parquet file \(/);

    // A valid footer over garbage pages: the metadata parses, the data does not.
    const good = parquet([{ name: 'prompt', data: PROMPTS, type: 'STRING' }], 'GZIP');
    const corrupt = good.slice();
    corrupt.fill(0xff, 4, 60);
    await upload(`bad/corrupt.${EXT}`, corrupt);
    const decoded = await expect400(await createRun(`bad/corrupt.${EXT}`));
    expect(decoded.message).toContain(`prompt file bad/corrupt.${EXT}`);
    expect(decoded.issues[0]?.message).toMatch(/^the Parquet data could not be decoded \(/);

    const big = new Uint8Array(MAX_PROMPT_FILE_BYTES + 1);
    big.set([0x50, 0x41, 0x52, 0x31]);
    await upload(`bad/big.${EXT}`, big);
    expect((await expect400(await createRun(`bad/big.${EXT}`))).issues[0]).toMatchObject({ path: 'prompts.key', message: expect.stringContaining(`over ${MAX_PROMPT_FILE_BYTES} bytes`) });
  });
});

describe('Parquet prompt files: POST /v1/runs/{id}/prompts with { key }', () => {
  it('appends the rows of a Parquet object, ids continuing after the pool', async () => {
    const created = runCreatedSchema.parse(await (await call('POST', '/v1/runs', { prompts: ['a', 'b'], num_iterations: 2 })).json());
    await upload(`more.${EXT}`, parquet([{ name: 'prompt', data: ['c', 'd'], type: 'STRING' }, { name: 'prompt_id', data: [null, 'mine'], type: 'STRING', nullable: true }]));
    const res = await call('POST', `/v1/runs/${created.run_id}/prompts`, { prompts: { key: `more.${EXT}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ run_id: created.run_id, added: 2, prompt_count: 4 });
    expect(await poolOf(created.run_id)).toEqual([{ prompt_id: 'p0', prompt: 'a' }, { prompt_id: 'p1', prompt: 'b' }, { prompt_id: 'p2', prompt: 'c' }, { prompt_id: 'mine', prompt: 'd' }]);

    const bad = await expect400(await call('POST', `/v1/runs/${created.run_id}/prompts`, { prompts: { key: `bad/no-prompt.${EXT}` } }));
    expect(bad.message).toContain(`prompt file bad/no-prompt.${EXT}`);
    expect(await poolOf(created.run_id)).toHaveLength(4);
  });
});

describe('resolvePromptSource with a .parquet key (what the routes call once the config takes one)', () => {
  it('reads by the name, continues ids from the offset, and refuses an empty object naming the key', async () => {
    await upload('direct/p.parquet', parquet([{ name: 'prompt', data: PROMPTS, type: 'STRING' }], 'UNCOMPRESSED'));
    expect(await resolvePromptSource({ key: 'direct/p.parquet' }, { store: h.deps.store, tenant: 'acme', offset: 5 })).toEqual(PROMPTS.map((prompt, i) => ({ prompt_id: `p${5 + i}`, prompt })));
    await upload('direct/empty.parquet', '');
    await expect(resolvePromptSource({ key: 'direct/empty.parquet' }, { store: h.deps.store, tenant: 'acme' })).rejects.toThrow(/^Invalid prompt file direct\/empty.parquet: 1 problem\n {2}- \(root\): the object is empty \(0 bytes\)/);
    await expect(resolvePromptSource({ key: 'direct/missing.parquet' }, { store: h.deps.store, tenant: 'acme' })).rejects.toThrow(/no object "direct\/missing.parquet" in your tenant area/);
  });
});

describe('readParquetPrompts', () => {
  it('refuses an empty object, naming the subject', async () => {
    const error = await readParquetPrompts(new Uint8Array(0), { subject: 'prompt file e.parquet' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/^Invalid prompt file e.parquet: 1 problem\n {2}- \(root\): the object is empty \(0 bytes\)/);
  });
  it('reads a file that is a view into a bigger buffer', async () => {
    const file = parquet([{ name: 'prompt', data: PROMPTS, type: 'STRING' }]);
    const padded = new Uint8Array(file.length + 16);
    padded.set(file, 8);
    expect(await readParquetPrompts(padded.subarray(8, 8 + file.length))).toEqual(PROMPTS.map((prompt) => ({ prompt })));
  });
});

describe('helpers', () => {
  it('isParquet: by extension or by magic', () => {
    expect(isParquet('a/B.PARQUET')).toBe(true);
    expect(isParquet('a/b.jsonl')).toBe(false);
    expect(isParquet('a/b.jsonl', new Uint8Array([0x50, 0x41, 0x52, 0x31, 0]))).toBe(true);
    expect(isParquet('a/b.jsonl', '{"prompt":"PAR1"}')).toBe(false);
    expect(isParquet('a/b', new Uint8Array([0x50, 0x41]))).toBe(false);
  });
  it('describeRows: the first rows, then the count', () => {
    expect(describeRows([7])).toBe('row 7 (1 row, 0-based)');
    expect(describeRows([1, 2, 3, 4], 2)).toBe('rows 1, 2 and 2 more (4 rows, 0-based)');
  });
});
