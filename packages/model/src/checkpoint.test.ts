import { mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointExistsError,
  COMPLETE_MARKER,
  isCheckpointComplete,
  readCheckpoint,
  writeCheckpoint,
  type CheckpointInput,
} from './checkpoint.ts';
import { llamaConfigToJson, parseLlamaConfig } from './config.ts';
import { initializeWeights } from './init.ts';
import { parameterSpecs } from './parameters.ts';
import { presetConfig } from './presets.ts';
import { readSafetensors, roundToDtype, writeSafetensors } from './safetensors.ts';
import { syntheticCorpus } from './synthetic-corpus.ts';
import { trainBpeTokenizer } from './tokenizer-train.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sppo-ckpt-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const { tokenizerJson, tokenizerConfig } = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 300 }), vocabSize: 320 });
const config = presetConfig('tiny', { vocabSize: 320, eosTokenId: [1, 6] });
const weights = initializeWeights(config, { seed: 11 });
const onnxBytes = Uint8Array.from([8, 7, 1, 2, 3]);

function input(extra: Partial<CheckpointInput> = {}): CheckpointInput {
  return { config, weights, tokenizerJson, tokenizerConfig, ...extra };
}

describe('checkpoint folder', () => {
  it('writes and reads back every file', async () => {
    const dir = join(root, 'runs', 'r1', 'checkpoints', '1');
    let builderArgs: unknown[] = [];
    const marker = await writeCheckpoint(
      dir,
      input({
        onnx: (c, w) => {
          builderArgs = [c, w];
          return onnxBytes;
        },
        trainingArgs: { learning_rate: 5e-7, loss_type: 'sppo' },
        metrics: { loss: 1.25, 'rewards/chosen': 0.1 },
        extraFiles: { 'model.onnx_data': [Uint8Array.from([1, 2]), Uint8Array.from([3])], 'notes.txt': 'hi' },
      }),
    );
    expect(builderArgs).toEqual([config, weights]);
    expect((await readdir(dir)).sort()).toEqual(
      [COMPLETE_MARKER, 'config.json', 'generation_config.json', 'metrics.json', 'model.onnx', 'model.onnx_data', 'notes.txt', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'training_args.json'].sort(),
    );
    expect(Object.keys(marker.files)).not.toContain(COMPLETE_MARKER);
    expect(JSON.parse(await readFile(join(dir, COMPLETE_MARKER), 'utf8'))).toEqual(marker);
    // No temp folder is left beside the checkpoint.
    expect(await readdir(join(root, 'runs', 'r1', 'checkpoints'))).toEqual(['1']);

    const ck = await readCheckpoint(dir, { verifyHashes: true });
    expect(ck.config).toEqual(config);
    expect([...ck.weights.keys()]).toEqual([...weights.keys()]);
    for (const [name, w] of weights) expect(ck.weights.get(name)).toEqual(w);
    expect(ck.ignoredTensors).toEqual([]);
    expect(ck.tokenizerJson).toEqual(tokenizerJson);
    expect(ck.tokenizer.encode('the cat')).toEqual(ck.tokenizer.encode('the cat'));
    expect(ck.tokenizer.chatTemplate).toBe(tokenizerConfig.chat_template);
    expect(ck.generationConfig).toMatchObject({ bos_token_id: 0, eos_token_id: [1, 6], pad_token_id: 2, do_sample: true, temperature: 0.7, top_p: 0.9 });
    expect(new Uint8Array(await readFile(ck.onnxPath as string))).toEqual(onnxBytes);
    expect(new Uint8Array(await readFile(join(dir, 'model.onnx_data')))).toEqual(Uint8Array.from([1, 2, 3]));
    expect(marker.files['model.onnx_data']?.bytes).toBe(3);
    expect(ck.trainingArgs).toEqual({ learning_rate: 5e-7, loss_type: 'sppo' });
    expect(ck.metrics).toEqual({ loss: 1.25, 'rewards/chosen': 0.1 });
    // config.json is what HF expects.
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))).toEqual(llamaConfigToJson(config));
    expect(readSafetensors(await readFile(join(dir, 'model.safetensors'))).metadata).toEqual({ format: 'pt' });
  });

  it('refuses a folder without _COMPLETE, and reads it when told it is a plain HF folder', async () => {
    const dir = join(root, 'incomplete');
    await writeCheckpoint(dir, input());
    await unlink(join(dir, COMPLETE_MARKER));
    expect(await isCheckpointComplete(dir)).toBe(false);
    await expect(readCheckpoint(dir)).rejects.toThrow(/has no _COMPLETE marker: it is incomplete/);
    expect((await readCheckpoint(dir, { requireComplete: false })).config).toEqual(config);
  });

  it('detects a file that changed after _COMPLETE was written', async () => {
    const dir = join(root, 'corrupt');
    await writeCheckpoint(dir, input());
    await truncate(join(dir, 'model.safetensors'), 100);
    await expect(readCheckpoint(dir)).rejects.toThrow(/model.safetensors has 100 bytes but _COMPLETE records/);
  });

  it('does not replace a complete checkpoint unless asked, and replaces an incomplete one', async () => {
    const dir = join(root, 'exists');
    await writeCheckpoint(dir, input({ metrics: { v: 1 } }));
    await expect(writeCheckpoint(dir, input())).rejects.toBeInstanceOf(CheckpointExistsError);
    await writeCheckpoint(dir, input({ metrics: { v: 2 } }), { overwrite: true });
    expect((await readCheckpoint(dir)).metrics).toEqual({ v: 2 });
    await unlink(join(dir, COMPLETE_MARKER));
    await writeCheckpoint(dir, input({ metrics: { v: 3 } }));
    expect((await readCheckpoint(dir)).metrics).toEqual({ v: 3 });
    expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('leaves nothing behind when writing fails midway', async () => {
    const dir = join(root, 'crash');
    await expect(
      writeCheckpoint(dir, input({ onnx: () => { throw new Error('export failed'); } })),
    ).rejects.toThrow(/export failed/);
    const badWeights = new Map(weights);
    badWeights.delete('model.norm.weight');
    await expect(writeCheckpoint(dir, input({ weights: badWeights }))).rejects.toThrow(/missing model.norm.weight \[64\]/);
    await expect(writeCheckpoint(dir, input({ config: { ...config, vocab_size: 300 }, weights: initializeWeights({ ...config, vocab_size: 300 }) }))).rejects.toThrow(
      /tokenizer has 320 ids but config.vocab_size is 300/,
    );
    expect((await readdir(root)).filter((n) => n.includes('crash'))).toEqual([]);
  });

  it('loads an HF-style folder: extra files, stored tied head, rotary buffers, sharded weights, chat_template.jinja', async () => {
    const dir = join(root, 'hf-model');
    await writeCheckpoint(dir, input());
    await unlink(join(dir, COMPLETE_MARKER));
    await unlink(join(dir, 'model.safetensors'));
    await unlink(join(dir, 'generation_config.json'));
    const names = [...weights.keys()];
    const half = Math.floor(names.length / 2);
    const shard = (list: string[], extra: [string, Float32Array][] = []): Uint8Array =>
      writeSafetensors([
        ...list.map((n): [string, { shape: number[]; data: Float32Array }] => [n, { shape: shapeOf(n), data: weights.get(n) as Float32Array }]),
        ...extra.map(([n, d]): [string, { shape: number[]; data: Float32Array }] => [n, { shape: [d.length], data: d }]),
      ]);
    const inv = new Float32Array(8).fill(0.5);
    await writeFile(join(dir, 'model-00001-of-00002.safetensors'), shard(names.slice(0, half), [['model.layers.0.self_attn.rotary_emb.inv_freq', inv]]));
    await writeFile(join(dir, 'model-00002-of-00002.safetensors'), shard(names.slice(half)));
    const weightMap = Object.fromEntries(names.map((n, i) => [n, i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    const { chat_template: _, ...noTemplate } = tokenizerConfig;
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(noTemplate));
    await writeFile(join(dir, 'chat_template.jinja'), '{{ messages[0].content }}');
    await writeFile(join(dir, 'README.md'), '# a model card');
    await writeFile(join(dir, 'special_tokens_map.json'), '{}');
    const ck = await readCheckpoint(dir, { requireComplete: false });
    expect(ck.ignoredTensors).toEqual(['model.layers.0.self_attn.rotary_emb.inv_freq']);
    expect(ck.weights.get('model.layers.1.mlp.down_proj.weight')).toEqual(weights.get('model.layers.1.mlp.down_proj.weight'));
    expect(ck.tokenizer.chatTemplate).toBe('{{ messages[0].content }}');
    expect(ck.generationConfig).toBeUndefined();
    expect(ck.files).toContain('README.md');
  });

  it('every family: an HF folder with sharded BF16 / F16 weights loads under HF names, and is written back in its dtype', async () => {
    const shrink = { vocab_size: 320, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 8, bos_token_id: 0, eos_token_id: 1, pad_token_id: 2 };
    const families = [
      ['qwen2', { model_type: 'qwen2', torch_dtype: 'bfloat16', use_sliding_window: false }, 'BF16'],
      ['qwen3', { model_type: 'qwen3', torch_dtype: 'bfloat16' }, 'BF16'],
      ['mistral', { model_type: 'mistral', torch_dtype: 'float16', sliding_window: 8 }, 'F16'],
      ['gemma2', { model_type: 'gemma2', torch_dtype: 'bfloat16' }, 'BF16'],
      ['gemma3_text', { model_type: 'gemma3_text', torch_dtype: 'bfloat16' }, 'BF16'],
      ['llama', { model_type: 'llama', torch_dtype: 'float16', mlp_bias: true, rope_scaling: { rope_type: 'yarn', factor: 2 } }, 'F16'],
    ] as const;
    for (const [family, fields, dtype] of families) {
      const cfg = parseLlamaConfig({ ...shrink, ...fields });
      const w = initializeWeights(cfg, { seed: 4 });
      const names = parameterSpecs(cfg).map((p) => p.name);
      const dir = join(root, `hf-${family}`);
      await writeCheckpoint(dir, { config: cfg, weights: w, tokenizerJson, tokenizerConfig });
      // As HF save_pretrained shards it: two files and an index, no _COMPLETE.
      await unlink(join(dir, COMPLETE_MARKER));
      await unlink(join(dir, 'model.safetensors'));
      const half = Math.floor(names.length / 2);
      const spec = new Map(parameterSpecs(cfg).map((p) => [p.name, p.shape]));
      const shard = (list: string[]): Uint8Array => writeSafetensors(list.map((n) => [n, { shape: spec.get(n) as number[], data: w.get(n) as Float32Array }]), undefined, dtype);
      await writeFile(join(dir, 'model-00001-of-00002.safetensors'), shard(names.slice(0, half)));
      await writeFile(join(dir, 'model-00002-of-00002.safetensors'), shard(names.slice(half)));
      await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: Object.fromEntries(names.map((n, i) => [n, `model-0000${i < half ? 1 : 2}-of-00002.safetensors`])) }));
      const ck = await readCheckpoint(dir, { requireComplete: false });
      expect(ck.config, family).toEqual(cfg);
      expect([...ck.weights.keys()], family).toEqual(names);
      for (const n of names) expect(ck.weights.get(n), `${family} ${n}`).toEqual(roundToDtype(w.get(n) as Float32Array, dtype));
      // Written back: the same dtype, the same values.
      const again = join(root, `hf-${family}-again`);
      await writeCheckpoint(again, { config: ck.config, weights: ck.weights, tokenizerJson, tokenizerConfig });
      const back = readSafetensors(await readFile(join(again, 'model.safetensors')));
      expect(new Set(back.dtypes.values()), family).toEqual(new Set([dtype]));
      for (const n of names) expect(back.tensors.get(n)?.data, `${family} ${n}`).toEqual(ck.weights.get(n));
    }
  });

  it('names weights that do not match config.json', async () => {
    const dir = join(root, 'mismatch');
    await writeCheckpoint(dir, input());
    const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 100 }));
    await unlink(join(dir, COMPLETE_MARKER));
    await expect(readCheckpoint(dir, { requireComplete: false })).rejects.toThrow(
      /model.layers.0.mlp.gate_proj.weight has shape \[172, 64\], config.json implies \[100, 64\]/,
    );
  });
});

function shapeOf(name: string): number[] {
  return parameterSpecs(config).find((s) => s.name === name)?.shape as number[];
}
