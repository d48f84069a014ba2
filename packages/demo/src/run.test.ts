import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createObjectStore, startTestCloud, type TestCloud } from '@sppo/cloud';
import { runConfigSchema } from '@sppo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoAssets } from './assets.ts';
import { buildDemoData } from './data.ts';
import { DEFAULT_RUN_RECIPE } from './recipe.ts';
import { demoRunConfig, downloadPrefix, uploadAssets } from './run.ts';

describe('run helpers against the emulator', () => {
  let cloud: TestCloud;
  let dir: string;
  beforeAll(async () => {
    cloud = await startTestCloud();
    dir = await mkdtemp(join(tmpdir(), 'sppo-demo-run-'));
  });
  afterAll(async () => {
    await cloud?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads the cached models once, _COMPLETE included, and copies a prefix back as files under their keys', async () => {
    const store = createObjectStore(cloud.config);
    for (const name of ['base', 'judge']) {
      await mkdir(join(dir, name), { recursive: true });
      await writeFile(join(dir, name, 'config.json'), `{"name":"${name}"}`);
      await writeFile(join(dir, name, '_COMPLETE'), '{}');
    }
    const assets = { dir, baseDir: join(dir, 'base'), judgeDir: join(dir, 'judge'), data: buildDemoData({ sftExamples: 1, judgePairs: 1 }), info: { hash: 'abc' } } satisfies DemoAssets;
    const prefixes = await uploadAssets(store, assets);
    expect(prefixes).toEqual({ base: 'models/demo-abc/base/', judge: 'models/demo-abc/judge/' });
    expect(await store.getText('models/demo-abc/base/config.json')).toBe('{"name":"base"}');
    // a second upload leaves what is there (the marker says it is complete)
    await writeFile(join(dir, 'base', 'config.json'), '{"name":"changed"}');
    await uploadAssets(store, assets);
    expect(await store.getText('models/demo-abc/base/config.json')).toBe('{"name":"base"}');

    const out = join(dir, 'artifacts');
    expect(await downloadPrefix(store, 'models/demo-abc/', out)).toBe(4);
    expect(await readFile(join(out, 'models', 'demo-abc', 'judge', 'config.json'), 'utf8')).toBe('{"name":"judge"}');

    // the run config names those prefixes and the pool, and is valid for core's schema
    const config = runConfigSchema.parse(demoRunConfig(assets, prefixes, DEFAULT_RUN_RECIPE, { source: 32, candidate: 16 }));
    expect(config.model_name_or_path).toBe('models/demo-abc/base');
    expect(config.judge_model).toBe('models/demo-abc/judge');
    expect(config.judge_max_source_tokens).toBe(32);
    expect(Array.isArray(config.prompts) && config.prompts.length).toBe(assets.data.pool.length);
  });
});
