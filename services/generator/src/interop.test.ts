/**
 * Interop proof: a checkpoint folder written by @sppo/model (BPE tokenizer, 'tiny' preset,
 * model.onnx from buildGenerationModel) loads in @huggingface/transformers 4.3 from its local
 * path, tokenizes like ours, and its greedy `generate` agrees with our sampler token for token,
 * for one prompt and for a left-padded batch of different lengths.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSamplingEngine, loadTokenizer, type SamplingEngine } from '@sppo/model';
import { writeTinyCheckpoint } from './test-fixtures.ts';

const NEW_TOKENS = 16;
let root: string;
let dir: string;
let engine: SamplingEngine;
let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
let model: Awaited<ReturnType<typeof AutoModelForCausalLM.from_pretrained>>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sppo-interop-'));
  dir = join(root, 'policy');
  await writeTinyCheckpoint(dir, { seed: 11 });
  engine = await createSamplingEngine({ modelDir: dir, intraOpNumThreads: 1 });
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  tokenizer = await AutoTokenizer.from_pretrained(dir);
  // Our checkpoints keep model.onnx at the folder root (ENVIRONMENT.md: subfolder '' + model_file_name).
  model = await AutoModelForCausalLM.from_pretrained(dir, { subfolder: '', model_file_name: 'model', dtype: 'fp32' });
});
afterAll(async () => {
  await model?.dispose();
  await engine?.close();
  await rm(root, { recursive: true, force: true });
});

/** transformers.js greedy ids after the (left-padded) prompt, with EOS ignored (eos_token_id -1). */
async function theirs(texts: string[]): Promise<{ prompts: number[][]; generated: number[][] }> {
  tokenizer.padding_side = 'left';
  const inputs = tokenizer(texts, { padding: true });
  const out = await model.generate({ ...inputs, max_new_tokens: NEW_TOKENS, do_sample: false, eos_token_id: -1 });
  const width = inputs.input_ids.dims[1] as number;
  const ids = (inputs.input_ids.tolist() as bigint[][]).map((row) => row.map(Number));
  const masks = (inputs.attention_mask.tolist() as bigint[][]).map((row) => row.map(Number));
  return {
    prompts: ids.map((row, b) => row.filter((_, t) => masks[b]?.[t] === 1)),
    generated: (out as { tolist(): bigint[][] }).tolist().map((row) => row.slice(width).map(Number)),
  };
}

async function ours(prompts: number[][]): Promise<number[][]> {
  const results = await engine.generate(prompts.map((prompt) => ({ prompt, seed: 0 })), { temperature: 0, maxNewTokens: NEW_TOKENS, ignoreEos: true });
  return results.map((r) => r.tokenIds);
}

describe('transformers.js interop', () => {
  it('greedy generate agrees token for token on one prompt', async () => {
    const { prompts, generated } = await theirs(['Write a haiku about the sea.']);
    expect(generated[0]).toHaveLength(NEW_TOKENS);
    expect(await ours(prompts)).toEqual(generated);
  });

  it('greedy generate agrees token for token on a left-padded batch, and tokenizes like us', async () => {
    const texts = ['hi', 'What is the capital of France? Answer in one word.', 'Give three tips for writing clear code.'];
    const { prompts, generated } = await theirs(texts);
    const lengths = prompts.map((p) => p.length);
    expect(new Set(lengths).size).toBe(3); // really padded
    const tok = await loadTokenizer(dir);
    expect(texts.map((t) => tok.encode(t))).toEqual(prompts);
    expect(await ours(prompts)).toEqual(generated);
  });
});
