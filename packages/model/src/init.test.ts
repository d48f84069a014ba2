import { describe, expect, it } from 'vitest';
import { initializeWeights } from './init.ts';
import { parameterSpecs } from './parameters.ts';
import { presetConfig } from './presets.ts';
import { createRng } from './rng.ts';

describe('initializeWeights', () => {
  const config = presetConfig('tiny', { vocabSize: 300, padTokenId: 2 });

  it('is deterministic per seed and differs across seeds', () => {
    const a = initializeWeights(config, { seed: 7 });
    const b = initializeWeights(config, { seed: 7 });
    const c = initializeWeights(config, { seed: 8 });
    for (const { name } of parameterSpecs(config)) expect(a.get(name)).toEqual(b.get(name));
    expect(a.get('model.layers.0.mlp.up_proj.weight')).not.toEqual(c.get('model.layers.0.mlp.up_proj.weight'));
  });

  it('follows HF _init_weights: normal(0, initializer_range), ones, zero biases, zero pad row', () => {
    const w = initializeWeights({ ...config, attention_bias: true }, { seed: 1 });
    const up = w.get('model.layers.1.mlp.up_proj.weight') as Float32Array;
    const mean = up.reduce((s, x) => s + x, 0) / up.length;
    const std = Math.sqrt(up.reduce((s, x) => s + (x - mean) ** 2, 0) / up.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.0195);
    expect(std).toBeLessThan(0.0205);
    expect(w.get('model.norm.weight')?.every((x) => x === 1)).toBe(true);
    expect(w.get('model.layers.0.input_layernorm.weight')?.every((x) => x === 1)).toBe(true);
    expect(w.get('model.layers.0.self_attn.q_proj.bias')?.every((x) => x === 0)).toBe(true);
    const embed = w.get('model.embed_tokens.weight') as Float32Array;
    const H = config.hidden_size;
    expect(embed.subarray(2 * H, 3 * H).every((x) => x === 0)).toBe(true);
    expect(embed.subarray(H, 2 * H).some((x) => x !== 0)).toBe(true);
    expect(w.size).toBe(parameterSpecs({ ...config, attention_bias: true }).length);
  });

  it('gives each parameter its own stream: adding biases leaves the weights unchanged', () => {
    const plain = initializeWeights(config, { seed: 3 });
    const biased = initializeWeights({ ...config, attention_bias: true }, { seed: 3 });
    expect(biased.get('model.layers.1.self_attn.v_proj.weight')).toEqual(plain.get('model.layers.1.self_attn.v_proj.weight'));
  });
});

describe('createRng', () => {
  it('produces uniform values in [0, 1) and standard normals', () => {
    const rng = createRng(42);
    const u = Array.from({ length: 20000 }, () => rng.uniform());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((s, x) => s + x, 0) / u.length - 0.5)).toBeLessThan(0.01);
    const n = Array.from({ length: 20000 }, () => rng.normal());
    const var_ = n.reduce((s, x) => s + x * x, 0) / n.length;
    expect(Math.abs(var_ - 1)).toBeLessThan(0.04);
    expect(createRng(42).uniform()).toBe(u[0]);
  });
});
