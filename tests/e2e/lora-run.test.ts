/**
 * use_peft through the stack of `./sppo up` (issue 16): a two-round run with LoRA adapters
 * completes through the queues like any other. Each round trains a fresh adapter on pi_t and
 * writes it in PEFT's format under checkpoints/{t+1}/adapter/ beside the merged pi_{t+1}, which
 * the next round samples from: checkpoint t+1 is exactly checkpoint t with adapter t merged in.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkpointPrefix } from '@sppo/core';
import { mergeLora, parseLlamaConfig, readCheckpoint, readPeftAdapter, readSafetensors } from '@sppo/model';
import { startTinyLocalStack, type TinyLocalStack } from '../helpers/local-stack-fixture.ts';
import { fastRunConfig } from '../helpers/runs.ts';

const ROUNDS = 2;
let fixture: TinyLocalStack;

beforeAll(async () => {
  fixture = await startTinyLocalStack({ name: 'lora', apiKey: 'sk-e2e-lora-key' });
}, 90_000);

afterAll(async () => {
  await fixture?.close();
});

test('a two-round use_peft run completes; each checkpoint is the previous one with its round\'s PEFT adapter merged', async () => {
  const { api, stack, baseDir } = fixture;
  const config = fastRunConfig({
    model: baseDir,
    rounds: ROUNDS,
    extra: { samples_per_prompt: 3, learning_rate: 0.01, use_peft: true, lora_r: 4, lora_alpha: 8, lora_target_modules: ['all-linear'] },
  });
  const runId = (await api('/v1/runs', { method: 'POST', body: JSON.stringify(config) })).run_id as string;
  const deadline = Date.now() + 240_000;
  let view = await api(`/v1/runs/${runId}`);
  while (view.status !== 'completed' && view.status !== 'failed') {
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${String(view.status)} after 240 s`);
    await new Promise((r) => setTimeout(r, 500));
    view = await api(`/v1/runs/${runId}`);
  }
  expect(view.status, JSON.stringify(view.failures)).toBe('completed');

  const weightsOf = async (prefix: string) => {
    const { tensors } = readSafetensors(await stack.store.getBytes(`${prefix}model.safetensors`));
    return new Map([...tensors].map(([k, t]) => [k, t.data]));
  };
  const modelConfig = parseLlamaConfig(JSON.parse(new TextDecoder().decode(await stack.store.getBytes(`${checkpointPrefix(runId, 1)}config.json`))));
  // Round 0 samples from the base folder itself; later rounds from the run's checkpoints.
  let previous: Map<string, Float32Array> = (await readCheckpoint(baseDir, { requireComplete: false })).weights;
  for (let t = 0; t < ROUNDS; t++) {
    const prefix = checkpointPrefix(runId, t + 1);
    const adapterConfig = new TextDecoder().decode(await stack.store.getBytes(`${prefix}adapter/adapter_config.json`));
    expect(JSON.parse(adapterConfig)).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
    if (t > 0) expect(JSON.parse(adapterConfig).base_model_name_or_path).toBe(checkpointPrefix(runId, t));
    const adapter = readPeftAdapter(modelConfig, { config: adapterConfig, weights: await stack.store.getBytes(`${prefix}adapter/adapter_model.safetensors`) }, prefix);
    // The adapter trained (B left zero), and pi_{t+1} = pi_t + adapter_t, bit for bit.
    expect([...adapter.weights].some(([k, w]) => k.endsWith('lora_B.weight') && w.some((v) => v !== 0))).toBe(true);
    const current = await weightsOf(prefix);
    const merged = mergeLora(modelConfig, previous, adapter.spec, adapter.weights);
    for (const [name, w] of merged) expect(current.get(name), name).toEqual(w);
    expect(current.get('model.embed_tokens.weight')).toEqual(previous.get('model.embed_tokens.weight'));
    previous = current;
  }
}, 300_000);
