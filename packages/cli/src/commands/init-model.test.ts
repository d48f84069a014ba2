import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCheckpoint, countParameters } from '@sppo/model';
import { createSession } from '@sppo/autodiff';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../errors.ts';
import { runInitModel } from './init-model.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sppo-init-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // progress lines
});

describe('init-model', () => {
  it('writes a complete checkpoint that readCheckpoint and onnxruntime load', async () => {
    const out = join(dir, 'tiny');
    expect(await runInitModel(['--out', out, '--seed=7'])).toBe(0);
    const ck = await readCheckpoint(out, { verifyHashes: true });
    expect(ck.files.sort()).toEqual(
      ['_COMPLETE', 'config.json', 'generation_config.json', 'model.onnx', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].sort(),
    );
    expect(ck.config).toMatchObject({ hidden_size: 64, num_hidden_layers: 2, vocab_size: 512, tie_word_embeddings: true, bos_token_id: 0, pad_token_id: 2 });
    // EOS ids: the tokenizer's EOS and the chat end-of-turn marker, so generation stops after a turn.
    expect(ck.config.eos_token_id).toEqual([1, ck.tokenizer.tokenToId('<|end|>')]);
    expect(ck.tokenizer.chatTemplate).toContain('<|assistant|>');
    expect(ck.tokenizerConfig.model_max_length).toBe(ck.config.max_position_embeddings);
    const session = await createSession(await readFile(join(out, 'model.onnx')));
    try {
      expect(session.inputNames).toContain('past_key_values.0.key');
      expect(session.outputNames).toContain('logits');
    } finally {
      await session.release();
    }
  });

  it('is deterministic: the same seed gives the same bytes, another seed other weights', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => join(dir, `seed-${n}`)) as [string, string, string];
    await runInitModel(['--out', a, '--seed', '11']);
    await runInitModel(['--out', b, '--seed', '11']);
    await runInitModel(['--out', c, '--seed', '12']);
    for (const file of ['model.safetensors', 'model.onnx', 'tokenizer.json', 'config.json']) {
      expect(Buffer.compare(await readFile(join(a, file)), await readFile(join(b, file))), file).toBe(0);
    }
    expect(Buffer.compare(await readFile(join(a, 'model.safetensors')), await readFile(join(c, 'model.safetensors')))).not.toBe(0);
    expect(Buffer.compare(await readFile(join(a, 'tokenizer.json')), await readFile(join(c, 'tokenizer.json')))).toBe(0);
  });

  it('takes an HF config.json and a corpus, giving the config our tokenizer ids', async () => {
    const configPath = join(dir, 'hf-config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        model_type: 'llama',
        architectures: ['LlamaForCausalLM'],
        vocab_size: 700,
        hidden_size: 32,
        intermediate_size: 48,
        num_hidden_layers: 1,
        num_attention_heads: 4,
        num_key_value_heads: 1,
        tie_word_embeddings: false,
        bos_token_id: 128000,
        eos_token_id: 128001,
        max_position_embeddings: 256,
      }),
    );
    const corpus = join(dir, 'corpus.txt');
    await writeFile(corpus, 'hello world, hello there\n\nthe world says hello\n'.repeat(20));
    const out = join(dir, 'hf');
    expect(await runInitModel(['--out', out, '--config', configPath, '--corpus', corpus, '--vocab-size=300'])).toBe(0);
    const ck = await readCheckpoint(out);
    expect(ck.config).toMatchObject({ vocab_size: 700, num_key_value_heads: 1, tie_word_embeddings: false, bos_token_id: 0, pad_token_id: 2 });
    expect(ck.weights.get('lm_head.weight')).toHaveLength(700 * 32);
    expect(ck.tokenizer.vocabSize).toBeLessThanOrEqual(300);
    expect(ck.tokenizer.encode('hello world', { addSpecialTokens: false }).length).toBeLessThan(4); // merges learnt from the corpus
    expect(countParameters(ck.config)).toBeGreaterThan(0);
  });

  it('refuses user mistakes with the valid values', async () => {
    const existing = join(dir, 'tiny-existing');
    await runInitModel(['--out', existing]);
    await expect(runInitModel(['--out', existing])).rejects.toThrow(/already holds a checkpoint; pass --overwrite/);
    expect(await runInitModel(['--out', existing, '--overwrite', '--seed=1'])).toBe(0);
    await expect(runInitModel(['--out', join(dir, 'x'), '--preset', 'huge'])).rejects.toThrow(/Valid presets: tiny, small/);
    await expect(runInitModel(['--out', join(dir, 'x'), '--seed', '-1'])).rejects.toThrow(UsageError);
    await expect(runInitModel(['--out', join(dir, 'x'), '--vocab-size', '100'])).rejects.toThrow(/vocabSize must be an integer in \[263/);
    await expect(runInitModel(['--out', join(dir, 'x'), '--colour', 'red'])).rejects.toThrow(/unknown option --colour.*--preset/);
    await expect(runInitModel(['--preset', 'tiny'])).rejects.toThrow(/missing --out/);
    await expect(runInitModel(['--out', join(dir, 'x'), '--config', join(dir, 'missing.json')])).rejects.toThrow(/cannot read --config/);
  });

  it('--config overrides and --tokenizer: shrink a published config, keep its family; clear errors', async () => {
    const published = fileURLToPath(new URL('../../../model/fixtures/configs/gemma-2-9b-it.json', import.meta.url));
    const llama2 = join(dir, 'llama2-tokenizer');
    // A real-format tokenizer folder: one written by init-model itself.
    await runInitModel(['--out', llama2, '--seed=2']);
    const out = join(dir, 'gemma-small');
    const shrink = ['--num_hidden_layers=3', '--hidden_size=16', '--intermediate_size=24', '--num_attention_heads=2', '--num_key_value_heads=1', '--head_dim=8', '--torch_dtype=bfloat16'];
    expect(await runInitModel(['--out', out, '--config', published, '--tokenizer', llama2, '--vocab_size=600', ...shrink])).toBe(0);
    const ck = await readCheckpoint(out);
    expect(ck.config).toMatchObject({ model_type: 'gemma2', num_hidden_layers: 3, hidden_size: 16, head_dim: 8, vocab_size: 600, torch_dtype: 'bfloat16', final_logit_softcapping: 30 });
    // Gemma-2's ids (BOS 2, EOS [1, 107]) are not this tokenizer's: its own are used.
    expect(ck.config.bos_token_id).toBe(ck.tokenizer.bosId);
    expect(ck.config.eos_token_id).toEqual([ck.tokenizer.eosId, ck.tokenizer.tokenToId('<|end|>')]);
    // Gemma's norms scale by (1 + w): HF initialises them to zero.
    expect(Array.from(ck.weights.get('model.layers.0.pre_feedforward_layernorm.weight') ?? [1])).toEqual(new Array(16).fill(0));
    expect(ck.tokenizerJson).toEqual(JSON.parse(await readFile(join(llama2, 'tokenizer.json'), 'utf8')));

    await expect(runInitModel(['--out', join(dir, 'y'), '--config', published, '--tokenizer', llama2, ...shrink])).resolves.toBe(0);
    await expect(runInitModel(['--out', join(dir, 'z'), '--config', published, '--tokenizer', llama2, ...shrink, '--vocab_size=300'])).rejects.toThrow(
      /vocab_size 300 is smaller than the tokenizer's 512 ids; pass --vocab_size=512/,
    );
    await expect(runInitModel(['--out', join(dir, 'z'), '--num_hidden_layers=2'])).rejects.toThrow(/apply to a --config file/);
    await expect(runInitModel(['--out', join(dir, 'z'), '--config', published, '--tokenizer', llama2, '--hidden_size=abc'])).rejects.toThrow(
      /--hidden_size=abc: the value must be a number/,
    );
    await expect(runInitModel(['--out', join(dir, 'z'), '--config', published, '--tokenizer', llama2, ...shrink, '--head_dim=7'])).rejects.toThrow(
      /head_dim must be even/,
    );
    // Without --tokenizer a BPE is trained here, and Qwen's config (no default BOS/EOS in its
    // class) takes the trained tokenizer's ids.
    const qwen = fileURLToPath(new URL('../../../model/fixtures/configs/Qwen3-0.6B.json', import.meta.url));
    expect(await runInitModel(['--out', join(dir, 'q'), '--config', qwen, ...shrink, '--vocab_size=400', '--vocab-size=300'])).toBe(0);
    expect((await readCheckpoint(join(dir, 'q'))).config).toMatchObject({ model_type: 'qwen3', vocab_size: 400, bos_token_id: 0, pad_token_id: 2 });
    // Without --out the folder is named after the config file, in the working directory.
    const main = fileURLToPath(new URL('../main.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'init-model', '--config', published, '--tokenizer', llama2, '--vocab_size=600', ...shrink], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect((await readCheckpoint(join(dir, 'gemma-2-9b-it'))).config.model_type).toBe('gemma2');
  });

  it('runs as a command through main.ts (no wrapper), exit 0, progress on stderr', () => {
    const main = fileURLToPath(new URL('../main.ts', import.meta.url));
    const out = join(dir, 'spawned');
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'init-model', `--out=${out}`, '--preset=tiny'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^init-model: tokenizer: 512 ids/m);
    expect(r.stderr).toMatch(/init-model: wrote /);
    const bad = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'init-model', `--out=${out}`], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/sppo init-model: .*already holds a checkpoint/);
  });
});
