// use_peft through the shared training loop: a fresh adapter on the frozen pi_t, the merged
// checkpoint with the PEFT adapter beside it, reload, and resume from a saved adapter state.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../checkpoint.ts';
import { createSequenceScorer } from '../scoring/scorer.ts';
import { scoredSequences } from '../training/batches.ts';
import { trainPolicy } from '../training/loop.ts';
import { ADAPTER_DIR, writeTrainedCheckpoint } from '../training/output.ts';
import { preparePreferenceData } from '../training/prepare.ts';
import { resolveTrainingArgs } from '../training/presets.ts';
import type { TrainState } from '../training/state.ts';
import { pairRows, tinyModel } from '../training/test-fixtures.ts';
import { bf16BitsToFloat, floatToBf16Bits } from '@sppo/autodiff';
import { mergeLora } from './merge.ts';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, readPeftAdapter } from './peft.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sppo-lora-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const model = tinyModel();
const padId = model.tokenizer.padId;

describe('trainPolicy with use_peft', () => {
  const args = resolveTrainingArgs({
    preset: 'tiny',
    args: { use_peft: true, lora_r: 4, lora_alpha: 8, lora_dropout: 0, lora_target_modules: ['q_proj', 'v_proj', 'down_proj'], per_device_train_batch_size: 2, learning_rate: 3e-2, num_train_epochs: 2, beta: 0.1, save_steps: 4 },
  });
  const { data } = preparePreferenceData(pairRows(8), { tokenizer: model.tokenizer, args });

  it('trains only the adapter; the merged weights move the log-ratios; the checkpoint reloads with its PEFT adapter', async () => {
    const saved: TrainState[] = [];
    const result = await trainPolicy({ config: model.config, weights: model.weights, data, args, padId, thread: 'main', onSave: async (s) => void saved.push(s) });
    expect(result.plan.trainSteps).toBe(8);
    expect(result.adapter?.spec).toEqual({ r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'] });
    // Adapted modules changed, everything else is pi_t's own array.
    for (const [name, w] of model.weights) {
      if (/\.(q_proj|v_proj|down_proj)\.weight$/.test(name)) expect(result.weights.get(name)).not.toEqual(w);
      else expect(result.weights.get(name)).toBe(w);
    }
    // The saved state holds the adapter only (the base is pi_t, which the job already has).
    expect(Object.keys(saved[0]!.weights).every((n) => /\.lora_[AB]\.weight$/.test(n))).toBe(true);
    expect(Object.keys(saved[0]!.weights)).toHaveLength(2 * 3 * model.config.num_hidden_layers);

    const scorer = await createSequenceScorer({ config: model.config, weights: new Map(result.weights), padId, thread: 'main' });
    const base = await createSequenceScorer({ config: model.config, weights: new Map(model.weights), padId, thread: 'main' });
    const seqs = scoredSequences(data);
    const [after, before] = [(await scorer.score(seqs)).logps, (await base.score(seqs)).logps];
    await scorer.close();
    await base.close();
    // Chosen rows (first half) gain log-prob relative to pi_t, rejected rows lose it (SPPO targets).
    const n = data.examples.length;
    const ratio = (i: number) => after[i]! - before[i]!;
    const meanChosen = Array.from({ length: n }, (_, i) => ratio(i)).reduce((a, b) => a + b, 0) / n;
    const meanRejected = Array.from({ length: n }, (_, i) => ratio(n + i)).reduce((a, b) => a + b, 0) / n;
    console.log(`use_peft: mean log-ratio chosen ${meanChosen.toFixed(3)}, rejected ${meanRejected.toFixed(3)}`);
    expect(meanChosen - meanRejected).toBeGreaterThan(0.1);

    const dir = join(root, 'round1');
    await writeTrainedCheckpoint(dir, { base: model, weights: result.weights, trainingArgs: args, logHistory: result.logHistory, summary: result.summary, adapter: { ...result.adapter!, baseModelNameOrPath: 'models/base' } });
    const reloaded = await readCheckpoint(dir, { verifyHashes: true });
    for (const [name, w] of result.weights) expect(reloaded.weights.get(name)).toEqual(w);
    const adapter = readPeftAdapter(model.config, {
      config: await readFile(join(dir, ADAPTER_DIR, ADAPTER_CONFIG_FILE), 'utf8'),
      weights: new Uint8Array(await readFile(join(dir, ADAPTER_DIR, ADAPTER_WEIGHTS_FILE))),
    });
    expect(adapter.baseModelNameOrPath).toBe('models/base');
    // pi_t + the adapter file = the checkpoint's merged weights, bit for bit.
    const again = mergeLora(model.config, model.weights, adapter.spec, adapter.weights);
    for (const [name, w] of again) expect(reloaded.weights.get(name)).toEqual(w);

    // A run resumed from the step-4 state ends with the same adapter (dropout off: deterministic).
    const resumed = await trainPolicy({ config: model.config, weights: model.weights, data, args, padId, thread: 'main', resume: saved[0]! });
    for (const [name, w] of result.adapter!.weights) expect(resumed.adapter!.weights.get(name)).toEqual(w);
  });

  it('a bf16 base held as bits trains the same adapter as that base held in float32', async () => {
    const bf16Weights = new Map([...model.weights].map(([k, w]) => [k, bf16BitsToFloat(floatToBf16Bits(w))]));
    const short = { ...args, num_train_epochs: 1 };
    const f32 = await trainPolicy({ config: model.config, weights: bf16Weights, data, args: short, padId, thread: 'main' });
    const bits = await trainPolicy({ config: model.config, weights: bf16Weights, data, args: short, padId, loraBaseDtype: 'bfloat16' });
    let worst = 0;
    for (const [name, w] of f32.adapter!.weights) {
      const v = bits.adapter!.weights.get(name)!;
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(w[i]! - v[i]!));
    }
    expect(worst).toBeLessThan(1e-4);
    expect(bits.logHistory.map((e) => e.loss)).toEqual(f32.logHistory.map((e) => expect.closeTo(e.loss, 4)));
  });

  it('with gradient accumulation: micro-batch gradients and the optimizer touch the adapter only', async () => {
    const accumulated = { ...args, num_train_epochs: 1, per_device_train_batch_size: 1, gradient_accumulation_steps: 2 };
    const fused = { ...args, num_train_epochs: 1 };
    const a = await trainPolicy({ config: model.config, weights: model.weights, data, args: accumulated, padId, thread: 'main' });
    const b = await trainPolicy({ config: model.config, weights: model.weights, data, args: fused, padId, thread: 'main' });
    expect(a.plan.trainSteps).toBe(b.plan.trainSteps);
    for (const [name, w] of model.weights) if (!/\.(q_proj|v_proj|down_proj)\.weight$/.test(name)) expect(a.weights.get(name)).toBe(w);
    // Two micro-batches of 1 pair make the same update as one batch of 2 (float32 round-off).
    for (const [name, w] of b.adapter!.weights) {
      const v = a.adapter!.weights.get(name)!;
      for (let i = 0; i < w.length; i++) expect(Math.abs(w[i]! - v[i]!), name).toBeLessThan(2e-5);
    }
  });
});
