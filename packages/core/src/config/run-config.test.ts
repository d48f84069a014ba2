import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { applyOverrides, formatConfigIssues, parseOverrideArgs, parseRunConfig, parseTrainingArgs } from './parse.ts';
import { runConfigSchema, runConfigShape, sampleSeed } from './run-config.ts';
import { trainingArgsSchema, trainingArgsShape } from './training-args.ts';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('runConfigSchema defaults', () => {
  it('an empty config resolves to the official values', () => {
    const c = parseRunConfig({});
    expect(c).toMatchObject({
      num_iterations: 3,
      samples_per_prompt: 5,
      temperature: 0.7,
      top_p: 0.9,
      top_k: 0,
      max_new_tokens: 2048,
      score_aggregation: 'official',
      win_rate_estimator: 'include_self',
      selection: 'extremes',
      loss_type: 'sppo',
      beta: 0.001,
      optim: 'rmsprop',
      lr_scheduler_type: 'linear',
      warmup_ratio: 0.1,
      max_grad_norm: 1,
      learning_rate: 5e-7,
      num_train_epochs: 1,
      per_device_train_batch_size: 8,
      gradient_accumulation_steps: 1,
      max_length: 1024,
      max_prompt_length: 512,
      seed: 42,
      rmsprop_alpha: 0.99,
      rmsprop_epsilon: 1e-8,
      generation_backend: 'onnx',
      execution_provider: 'cpu',
    });
    expect(Array.isArray(c.prompts) && c.prompts.length > 0).toBe(true);
    expect(c.sample_seeds).toBeUndefined();
  });

  it('every field is described, and the training group is shared', () => {
    for (const [name, field] of Object.entries(runConfigShape)) {
      expect(field.description, `${name} has no .describe()`).toBeTruthy();
    }
    for (const name of Object.keys(trainingArgsShape)) expect(name in runConfigShape).toBe(true);
    expect(Object.keys(trainingArgsShape)).toEqual(expect.arrayContaining(['learning_rate', 'schedule_num_train_epochs', 'label_smoothing', 'save_steps', 'logging_steps', 'adam_beta1', 'rmsprop_alpha']));
    expect(Object.keys(trainingArgsShape)).not.toContain('samples_per_prompt');
  });

  it('can be exported as JSON Schema (for OpenAPI)', () => {
    const json = z.toJSONSchema(runConfigSchema, { io: 'input' }) as { properties: Record<string, { description?: string }> };
    expect(json.properties['beta']?.description).toMatch(/eta/);
  });

  it('accepts inline prompts in both forms and a bucket key', () => {
    expect(parseRunConfig({ prompts: ['a', { prompt_id: 'x', prompt: 'b' }, { prompt: 'c' }] }).prompts).toHaveLength(3);
    expect(parseRunConfig({ prompts: { key: 'data/prompts.jsonl' } }).prompts).toEqual({ key: 'data/prompts.jsonl' });
  });

  it('sampleSeed: official 50*k, or the explicit list', () => {
    const c = parseRunConfig({});
    expect([0, 1, 2, 3, 4].map((k) => sampleSeed(c, k))).toEqual([0, 50, 100, 150, 200]);
    const explicit = parseRunConfig({ samples_per_prompt: 2, sample_seeds: [7, 9] });
    expect(sampleSeed(explicit, 1)).toBe(9);
    expect(() => sampleSeed(c, 5)).toThrow(/0 to 4/);
  });
});

describe('parseRunConfig errors', () => {
  it('lists every problem with its path, the valid values and the valid keys', () => {
    const error = configError(() =>
      parseRunConfig({
        learning_rat: 1,
        loss_type: 'dpo',
        beta: -1,
        prompts: ['ok', 5],
        max_prompt_length: 2000,
        sample_seeds: [1],
        generation_backend: 'openai',
      }),
    );
    const byPath = Object.fromEntries(error.issues.map((issue) => [issue.path, issue]));
    expect(Object.keys(byPath).sort()).toEqual(
      ['beta', 'learning_rat', 'loss_type', 'max_prompt_length', 'openai_base_url', 'openai_model', 'prompts[1]', 'sample_seeds'].sort(),
    );
    expect(byPath['loss_type']?.validValues).toEqual(['sppo', 'sppo_single', 'sppo_hard', 'sigmoid', 'ipo']);
    expect(byPath['learning_rat']?.message).toMatch(/did you mean "learning_rate"/);
    expect(byPath['learning_rat']?.validValues).toContain('samples_per_prompt');
    expect(byPath['beta']?.message).toMatch(/>0 \(got -1\)/);
    expect(error.message).toMatch(/^Invalid run config: 8 problems/);
    expect(error.userError).toBe(true);
  });

  it('reports unknown keys of nested objects with that object\'s keys', () => {
    const error = configError(() => parseRunConfig({ prompts: { key: 'a.jsonl', bucket: 'x' } }));
    expect(error.issues).toEqual([expect.objectContaining({ path: 'prompts.bucket', validValues: ['key'] })]);
  });

  it('rejects non-objects, bad enums and bad prompt keys', () => {
    expect(configError(() => parseRunConfig(null)).issues[0]?.message).toMatch(/expected object/);
    expect(configError(() => parseRunConfig({ prompts: { key: '../x.jsonl' } })).issues[0]?.path).toBe('prompts.key');
    expect(configError(() => parseRunConfig({ schedule_num_train_epochs: 0.5 })).issues[0]?.path).toBe('schedule_num_train_epochs');
    expect(configError(() => parseRunConfig({ samples_per_prompt: 1 })).issues[0]?.message).toMatch(/>=2/);
  });

  it('formatConfigIssues renders raw zod issues the same way', () => {
    const result = runConfigSchema.safeParse({ optim: 'sgd' });
    expect(result.success).toBe(false);
    const text = formatConfigIssues(result.error?.issues ?? []);
    expect(text).toMatch(/optim: invalid value/);
    expect(text).toMatch(/'rmsprop', 'adamw'/);
  });
});

describe('trainingArgsSchema', () => {
  it('is the training group alone, strict', () => {
    expect(parseTrainingArgs({}).optim).toBe('rmsprop');
    const error = configError(() => parseTrainingArgs({ samples_per_prompt: 5, max_length: 10, max_prompt_length: 10 }));
    expect(error.issues.map((i) => i.path).sort()).toEqual(['max_prompt_length', 'samples_per_prompt']);
    expect(trainingArgsSchema.safeParse({ label_smoothing: 0.7 }).success).toBe(false);
  });
});

describe('applyOverrides', () => {
  it('types values by their field: numbers, booleans-free enums, lists, dotted keys, JSON', () => {
    const base = parseRunConfig({});
    const c = applyOverrides(base, {
      learning_rate: '1e-6',
      '--num_iterations': '2',
      loss_type: 'ipo',
      sample_seeds: '1, 2, 3, 4, 5',
      'prompts.key': 'data/p.jsonl',
    });
    expect(c.learning_rate).toBe(1e-6);
    expect(c.num_iterations).toBe(2);
    expect(c.loss_type).toBe('ipo');
    expect(c.sample_seeds).toEqual([1, 2, 3, 4, 5]);
    expect(c.prompts).toEqual({ key: 'data/p.jsonl' });
    expect(base.learning_rate).toBe(5e-7); // not mutated
    expect(applyOverrides({}, { prompts: '["a","b"]' }).prompts).toEqual(['a', 'b']);
  });

  it('collects unknown keys, untypeable values and schema problems in one ConfigError', () => {
    const error = configError(() => applyOverrides({}, { learnin_rate: '1', beta: 'abc', 'prompts.kee': 'x', top_p: '2' }));
    const paths = error.issues.map((i) => i.path).sort();
    expect(paths).toEqual(['beta', 'learnin_rate', 'prompts.kee', 'top_p']);
    expect(error.message).toMatch(/did you mean --learning_rate/);
    expect(error.message).toMatch(/did you mean --prompts.key/);
  });

  it('parseOverrideArgs splits --key=value and rejects anything else', () => {
    expect(parseOverrideArgs(['--beta=0.1', '--prompts.key=a=b.jsonl'])).toEqual({ beta: '0.1', 'prompts.key': 'a=b.jsonl' });
    expect(configError(() => parseOverrideArgs(['--beta', '0.1'])).issues).toHaveLength(2);
  });
});
