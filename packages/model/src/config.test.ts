import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { llamaConfigToJson, parseLlamaConfig } from './config.ts';
import { architectureOf, ropeOfLayer, ropeSpec } from './llama/architecture.ts';
import { countParameters, parameterNames, parameterSpecs } from './parameters.ts';
import { presetConfig, presetConfigForTokenizer } from './presets.ts';
import { syntheticCorpus } from './synthetic-corpus.ts';
import { createTokenizer } from './tokenizer.ts';
import { trainBpeTokenizer } from './tokenizer-train.ts';

// A config.json as transformers 4.4x writes it for a small Llama (TinyLlama-like fields).
const HF_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 5632,
  max_position_embeddings: 2048,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 22,
  num_key_value_heads: 4,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000.0,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  transformers_version: '4.35.0',
  use_cache: true,
  vocab_size: 32000,
};

describe('parseLlamaConfig', () => {
  it('reads an HF config.json and derives head_dim', () => {
    const c = parseLlamaConfig(HF_CONFIG);
    expect(c.head_dim).toBe(64);
    expect(c.num_key_value_heads).toBe(4);
    expect(c.torch_dtype).toBe('bfloat16');
    expect(c.pad_token_id).toBeUndefined();
    expect(c.eos_token_id).toBe(2);
  });

  it('applies HF defaults: kv heads = heads, rope_theta 10000, untied', () => {
    const c = parseLlamaConfig({ model_type: 'llama', vocab_size: 100, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4 });
    expect(c.num_key_value_heads).toBe(4);
    expect(c.rope_theta).toBe(10000);
    expect(c.tie_word_embeddings).toBe(false);
    expect(c.rms_norm_eps).toBe(1e-6);
  });

  it('accepts a Llama-3 style eos list, explicit head_dim and rope_parameters', () => {
    const c = parseLlamaConfig({
      ...HF_CONFIG,
      eos_token_id: [2, 7],
      head_dim: 128,
      rope_theta: undefined,
      rope_parameters: { rope_type: 'default', rope_theta: 500000 },
      dtype: 'float32',
      torch_dtype: undefined,
    });
    expect(c.eos_token_id).toEqual([2, 7]);
    expect(c.head_dim).toBe(128);
    expect(c.rope_theta).toBe(500000);
    expect(c.torch_dtype).toBe('float32');
  });

  it('lists every problem at once with the valid values, naming unimplemented fields', () => {
    let message = '';
    try {
      parseLlamaConfig({
        ...HF_CONFIG,
        rope_scaling: { rope_type: 'longrope', factor: 2 },
        hidden_act: 'gelu',
        partial_rotary_factor: 0.5,
        num_key_value_heads: 5,
        vocab_size: -1,
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('rope_scaling.rope_type "longrope" is not supported; valid values: default, linear, dynamic, llama3, yarn');
    expect(message).toContain('valid values: "silu", "gelu_pytorch_tanh"');
    expect(message).toContain('partial_rotary_factor 0.5 is not supported');
    expect(message).toContain('multiple of num_key_value_heads (5)');
    expect(message).toContain('vocab_size must be a positive integer');
    expect(message).toMatch(/\(5 problem\(s\)\)/);
    expect(() => parseLlamaConfig({ ...HF_CONFIG, model_type: 'phi3' })).toThrow(
      'model_type is "phi3"; supported: "llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3_text"',
    );
    expect(() => parseLlamaConfig({ ...HF_CONFIG, rope_scaling: { rope_type: 'yarn', factor: 4, short_factor: [1] } })).toThrow(
      'rope_scaling.short_factor is not supported for rope_type "yarn"',
    );
    expect(() => parseLlamaConfig({ ...HF_CONFIG, model_type: 'gemma3_text', architectures: ['Gemma3ForCausalLM'], use_bidirectional_attention: true })).toThrow(
      /use_bidirectional_attention true is not supported/,
    );
    expect(() => parseLlamaConfig({ ...HF_CONFIG, rope_scaling: { rope_type: 'llama3', factor: 8 } })).toThrow(
      'rope_scaling.original_max_position_embeddings is required for rope_type "llama3"',
    );
    expect(() => parseLlamaConfig({ ...HF_CONFIG, model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], mlp_bias: true })).toThrow(
      /mlp_bias true is not supported \(qwen2 has no MLP bias\)/,
    );
    expect(() => parseLlamaConfig({ ...HF_CONFIG, model_type: 'mistral', architectures: ['MistralForCausalLM'], layer_types: ['full_attention'] })).toThrow(
      /layer_types must list "full_attention" or "sliding_attention" for each of the 22 layers/,
    );
  });

  it('rejects ids outside the vocabulary and a wrong architecture', () => {
    expect(() => parseLlamaConfig({ ...HF_CONFIG, eos_token_id: 32000 })).toThrow(/outside the vocabulary/);
    expect(() => parseLlamaConfig({ ...HF_CONFIG, architectures: ['LlamaForSequenceClassification'] })).toThrow(
      /LlamaForCausalLM/,
    );
    expect(() => parseLlamaConfig([1, 2])).toThrow(/JSON object/);
  });

  it('round-trips through llamaConfigToJson with the fields HF needs', () => {
    const c = parseLlamaConfig(HF_CONFIG);
    const json = llamaConfigToJson(c);
    expect(json).toMatchObject({
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      // The source dtype is kept: a bf16 checkpoint is written back as bf16.
      torch_dtype: 'bfloat16',
      use_cache: true,
      rope_scaling: null,
      hidden_act: 'silu',
      pad_token_id: null,
    });
    expect(typeof json.transformers_version).toBe('string');
    expect(parseLlamaConfig(JSON.parse(JSON.stringify(json)))).toEqual(c);
  });
});

describe('parameters and presets', () => {
  it('names parameters as HF with [out, in] shapes', () => {
    const c = parseLlamaConfig({ ...HF_CONFIG, num_hidden_layers: 1, attention_bias: true });
    const specs = parameterSpecs(c);
    const byName = new Map(specs.map((s) => [s.name, s]));
    expect(specs[0]).toEqual({ name: 'model.embed_tokens.weight', shape: [32000, 2048], init: 'normal' });
    expect(byName.get('model.layers.0.self_attn.k_proj.weight')?.shape).toEqual([256, 2048]);
    expect(byName.get('model.layers.0.self_attn.k_proj.bias')).toEqual({ name: 'model.layers.0.self_attn.k_proj.bias', shape: [256], init: 'zeros' });
    expect(byName.get('model.layers.0.self_attn.o_proj.weight')?.shape).toEqual([2048, 2048]);
    expect(byName.get('model.layers.0.mlp.down_proj.weight')?.shape).toEqual([2048, 5632]);
    expect(byName.get('model.layers.0.post_attention_layernorm.weight')?.init).toBe('ones');
    expect(parameterNames(c).at(-1)).toBe('lm_head.weight');
    expect(parameterNames({ ...c, tie_word_embeddings: true })).not.toContain('lm_head.weight');
  });

  it('counts TinyLlama-1.1B exactly', () => {
    // 1,100,048,384 is TinyLlama-1.1B's published parameter count.
    expect(countParameters(parseLlamaConfig(HF_CONFIG))).toBe(1_100_048_384);
  });

  it('has presets of the documented sizes', () => {
    const tiny = presetConfig('tiny', { vocabSize: 512 });
    const small = presetConfig('small', { vocabSize: 512 });
    // tiny: 512*64 + 2*(2*64 + 64*64 + 2*32*64 + 64*64 + 3*172*64) + 64
    expect(countParameters(tiny)).toBe(123_712);
    // small: 512*256 + 4*(2*256 + 2*256*256 + 2*128*256 + 3*688*256) + 256
    expect(countParameters(small)).toBe(3_033_344);
    expect(tiny.head_dim).toBe(16);
    expect(parseLlamaConfig(llamaConfigToJson(tiny))).toEqual(tiny);
    expect(() => presetConfig('huge' as 'tiny', { vocabSize: 10 })).toThrow(/Should be one of: tiny, small/);
  });
});

describe('presetConfigForTokenizer', () => {
  it('takes the ids from the tokenizer and stops on EOS and the end-of-turn marker', () => {
    const t = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 100 }), vocabSize: 300 });
    const tok = createTokenizer(t.tokenizerJson, t.tokenizerConfig);
    const c = presetConfigForTokenizer('small', tok);
    expect(c.vocab_size).toBe(tok.vocabSize);
    expect(c.eos_token_id).toEqual([tok.eosId, tok.tokenToId('<|end|>')]);
    expect(c.pad_token_id).toBe(tok.padId);
    expect(c.hidden_size).toBe(256);
  });
});

describe('published config.json files (fixtures/configs)', () => {
  const fixture = (name: string): Record<string, unknown> =>
    JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/configs/${name}.json`, import.meta.url)), 'utf8')) as Record<string, unknown>;

  it('parse, and count exactly the parameters their model cards publish', () => {
    // Counts as the HF model pages give them (tied embeddings counted once).
    for (const [name, count] of [
      ['Qwen2.5-0.5B-Instruct', 494_032_768],
      ['Qwen3-0.6B', 596_049_920],
      ['Llama-3.2-1B-Instruct', 1_235_814_400],
      ['Mistral-7B-Instruct-v0.2', 7_241_732_096],
      ['gemma-2-9b-it', 9_241_705_984],
      ['gemma-3-1b-it', 999_885_952],
    ] as const) {
      expect(countParameters(parseLlamaConfig(fixture(name))), name).toBe(count);
    }
  });

  it('keep each family\'s switches, and write back a config.json that parses to the same config', () => {
    const llama = parseLlamaConfig(fixture('Llama-3.2-1B-Instruct'));
    expect(llama.rope_scaling).toEqual({ rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 });
    const gemma = parseLlamaConfig(fixture('gemma-2-9b-it'));
    expect(gemma).toMatchObject({ model_type: 'gemma2', query_pre_attn_scalar: 256, attn_logit_softcapping: 50, final_logit_softcapping: 30, sliding_window: 4096, torch_dtype: 'float32' });
    expect(architectureOf(gemma).layerWindows.slice(0, 4)).toEqual([4096, null, 4096, null]);
    expect(architectureOf(gemma).activation).toBe('gelu_pytorch_tanh');
    const qwen = parseLlamaConfig(fixture('Qwen2.5-0.5B-Instruct'));
    expect(architectureOf(qwen)).toMatchObject({ qkvBias: true, oBias: false, qkNorm: false });
    expect(architectureOf(qwen).layerWindows.every((w) => w === null)).toBe(true); // use_sliding_window false
    expect(architectureOf(parseLlamaConfig({ ...fixture('Qwen2.5-0.5B-Instruct'), use_sliding_window: true })).layerWindows.slice(20, 22)).toEqual([null, 32768]);
    expect(architectureOf(parseLlamaConfig(fixture('Qwen3-0.6B')))).toMatchObject({ qkNorm: true, qkvBias: false });
    const mistral = parseLlamaConfig(fixture('Mistral-7B-Instruct-v0.2'));
    expect(mistral.sliding_window).toBeNull();
    // MistralConfig's default window applies when the key is absent.
    const { sliding_window: _w, ...noWindow } = fixture('Mistral-7B-Instruct-v0.2');
    expect(architectureOf(parseLlamaConfig(noWindow)).layerWindows[0]).toBe(4096);
    const gemma3 = architectureOf(parseLlamaConfig(fixture('gemma-3-1b-it')));
    // Five sliding layers (window 512, local base 10000) then one full layer (rope_theta 1e6).
    expect(gemma3.layerWindows.slice(0, 7)).toEqual([512, 512, 512, 512, 512, null, 512]);
    expect(gemma3).toMatchObject({ qkNorm: true, normAddsOne: true, attentionSoftcap: null, finalLogitSoftcap: null });
    expect(ropeOfLayer(gemma3, 0).invFreq[1]).toBeCloseTo(1 / 10000 ** (2 / 256), 15);
    expect(ropeOfLayer(gemma3, 5).invFreq[1]).toBeCloseTo(1 / 1e6 ** (2 / 256), 15);
    for (const name of ['Qwen2.5-0.5B-Instruct', 'Qwen3-0.6B', 'Llama-3.2-1B-Instruct', 'Mistral-7B-Instruct-v0.2', 'gemma-2-9b-it', 'gemma-3-1b-it']) {
      const c = parseLlamaConfig(fixture(name));
      const json = llamaConfigToJson(c);
      expect(json.architectures, name).toEqual(fixture(name).architectures);
      expect(parseLlamaConfig(JSON.parse(JSON.stringify(json))), name).toEqual(c);
    }
  });

  it('llama3 rope frequencies: long wavelengths divided by factor, short kept, the middle interpolated', () => {
    const { invFreq } = ropeSpec(parseLlamaConfig(fixture('Llama-3.2-1B-Instruct')));
    const base = Array.from({ length: 32 }, (_, i) => 1 / 500000 ** ((2 * i) / 64));
    expect(invFreq[0]).toBe(base[0]); // wavelength 2 pi < 8192 / 4: kept
    expect(invFreq[31]).toBeCloseTo((base[31] as number) / 32, 20); // wavelength > 8192: divided
    const mid = invFreq.findIndex((f, i) => f !== base[i] && Math.abs(f - (base[i] as number) / 32) > 1e-15);
    expect(mid).toBeGreaterThan(0);
    expect(invFreq[mid]).toBeLessThan(base[mid] as number);
    expect(invFreq[mid]).toBeGreaterThan((base[mid] as number) / 32);
  });
});
