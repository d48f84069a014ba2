// recipes/ (issue 15 part 5): every recipe is a valid run config (core's strict schema, as
// `./sppo run` and the gateway validate it); the paper's three carry the published settings
// (SPPO-REFERENCE 1.5, 2.2, 2.6) and say they need GPUs; local-tiny runs on this machine.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunConfig, type RunConfig } from '@sppo/core';
import { readCheckpoint } from '@sppo/model';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolvePresetModel } from './commands/run.ts';
import { workspaceRoot } from './paths.ts';

const RECIPES = join(workspaceRoot(), 'recipes');
const PAPER = {
  'sppo-mistral-7b-instruct-v0.2.yaml': { model: 'models/Mistral-7B-Instruct-v0.2', perDevice: 8 },
  'sppo-llama-3-8b-instruct.yaml': { model: 'models/Meta-Llama-3-8B-Instruct', perDevice: 8 },
  'sppo-gemma-2-9b-it.yaml': { model: 'models/gemma-2-9b-it', perDevice: 4 },
} as const;

const text: Record<string, string> = {};
const config: Record<string, RunConfig> = {};
beforeAll(async () => {
  for (const file of (await readdir(RECIPES)).filter((f) => f.endsWith('.yaml'))) {
    text[file] = await readFile(join(RECIPES, file), 'utf8');
    config[file] = parseRunConfig(parseYaml(text[file]!));
  }
});

describe('recipes/', () => {
  it('holds the paper\'s three, a one-GPU small model and local-tiny, each a valid run config', () => {
    expect(Object.keys(config).sort()).toEqual(['local-tiny.yaml', 'sppo-gemma-2-9b-it.yaml', 'sppo-llama-3-8b-instruct.yaml', 'sppo-mistral-7b-instruct-v0.2.yaml', 'sppo-qwen3-0.6b.yaml']);
  });

  it.each(Object.entries(PAPER))('%s has the published settings and is marked as needing GPUs', (file, { model, perDevice }) => {
    const c = config[file]!;
    expect(text[file]).toMatch(/^# NEEDS GPUs/m);
    expect(c).toMatchObject({
      model_name_or_path: model,
      execution_provider: 'cuda',
      num_iterations: 3,
      prompts_per_iteration: 20000,
      samples_per_prompt: 5,
      temperature: 0.7,
      top_p: 0.9,
      max_new_tokens: 2048,
      judge_max_source_tokens: 1224,
      judge_max_candidate_tokens: 412,
      score_aggregation: 'official',
      win_rate_estimator: 'include_self',
      selection: 'extremes',
      loss_type: 'sppo',
      beta: 0.001,
      learning_rate: 5e-7,
      optim: 'rmsprop',
      lr_scheduler_type: 'linear',
      warmup_ratio: 0.1,
      num_train_epochs: 1,
      per_device_train_batch_size: perDevice,
      max_length: 1024,
      max_prompt_length: 512,
      seed: 42,
    });
    // The official global batch: 8 GPUs x per-device x accumulation = 64, here on one device.
    expect(c.per_device_train_batch_size * c.gradient_accumulation_steps).toBe(64);
    expect(c.prompts).toEqual({ key: expect.stringMatching(/\.parquet$/) });
  });

  it('has a one-GPU recipe for Qwen3-0.6B with the official loss and sampling', () => {
    const c = config['sppo-qwen3-0.6b.yaml']!;
    expect(text['sppo-qwen3-0.6b.yaml']).toMatch(/ONE GPU/);
    expect(c).toMatchObject({ model_name_or_path: 'models/Qwen3-0.6B', execution_provider: 'cuda', loss_type: 'sppo', beta: 0.001, optim: 'rmsprop', samples_per_prompt: 5, temperature: 0.7, top_p: 0.9 });
    expect(c.per_device_train_batch_size * c.gradient_accumulation_steps).toBe(64);
  });

  it('has local-tiny: a preset policy, a rule judge, CPU, two small rounds', () => {
    const c = config['local-tiny.yaml']!;
    expect(c).toMatchObject({ model_name_or_path: 'preset:tiny', judge_model: 'rule:length', execution_provider: 'cpu', num_iterations: 2 });
    expect(Array.isArray(c.prompts) && c.prompts.length).toBe(2 * c.prompts_per_iteration);
  });
});

describe('./sppo run: preset:NAME models', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sppo-recipes-'));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('builds the random-init checkpoint once (seeded by the run) and submits its folder', async () => {
    const c = config['local-tiny.yaml']!;
    const resolved = await resolvePresetModel(c, dir);
    expect(resolved.model_name_or_path).toBe(join(dir, 'tiny-seed1'));
    expect({ ...resolved, model_name_or_path: c.model_name_or_path }).toEqual(c);
    const first = await readCheckpoint(resolved.model_name_or_path);
    expect(first.config.hidden_size).toBe(64);
    // A second run reuses it (same bytes, not rebuilt).
    expect((await resolvePresetModel(c, dir)).model_name_or_path).toBe(resolved.model_name_or_path);
    expect((await readCheckpoint(resolved.model_name_or_path)).weights).toEqual(first.weights);
    // Other models pass through; an unknown preset names the valid ones.
    const other = { ...c, model_name_or_path: 'models/base' };
    expect(await resolvePresetModel(other, dir)).toBe(other);
    await expect(resolvePresetModel({ ...c, model_name_or_path: 'preset:huge' }, dir)).rejects.toThrow(/unknown preset; use one of preset:tiny, preset:small/);
  }, 60_000);
});
