/**
 * use_peft through the stack of `./sppo up` (issue 16): a two-round run with LoRA adapters
 * completes through the queues like any other. Each round trains a fresh adapter on pi_t and
 * writes it in PEFT's format under checkpoints/{t+1}/adapter/ beside the merged pi_{t+1}, which
 * the next round samples from: checkpoint t+1 is exactly checkpoint t with adapter t merged in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkpointPrefix } from '@sppo/core';
import { mergeLora, parseLlamaConfig, readCheckpoint, readPeftAdapter, readSafetensors } from '@sppo/model';
import { runInitModel } from '../../packages/cli/src/commands/init-model.ts';
import { startLocalStack, type LocalStack } from '../../packages/cli/src/local-stack.ts';

const ROUNDS = 2;
const API_KEY = 'sk-e2e-lora-key';
let work: string;
let stack: LocalStack;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sppo-e2e-lora-'));
  expect(await runInitModel(['--out', join(work, 'base'), '--preset', 'tiny', '--seed', '7'])).toBe(0);
  stack = await startLocalStack({ dataDir: join(work, 'emulator'), logDir: join(work, 'logs'), cacheDir: join(work, 'cache'), tenant: 'e2e', apiKey: API_KEY });
}, 90_000);

afterAll(async () => {
  await stack?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function api(path: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.gatewayUrl}${path}`, { ...init, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' } });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

test('a two-round use_peft run completes; each checkpoint is the previous one with its round\'s PEFT adapter merged', async () => {
  const config = {
    model_name_or_path: join(work, 'base'),
    judge_model: 'rule:length',
    num_iterations: ROUNDS,
    prompts_per_iteration: 4,
    prompts_per_shard: 2,
    samples_per_prompt: 3,
    max_new_tokens: 6,
    temperature: 1,
    optim: 'adamw',
    learning_rate: 0.01,
    warmup_ratio: 0,
    beta: 0.1,
    per_device_train_batch_size: 2,
    max_length: 48,
    max_prompt_length: 24,
    use_peft: true,
    lora_r: 4,
    lora_alpha: 8,
    lora_target_modules: ['all-linear'],
    prompts: Array.from({ length: 8 }, (_, i) => `Question ${i}: name a colour.`),
  };
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
  let previous: Map<string, Float32Array> = (await readCheckpoint(join(work, 'base'), { requireComplete: false })).weights;
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
