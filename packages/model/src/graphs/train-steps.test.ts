import { batchPreferenceLossReference, preferenceMetricsReference, singleResponseSppoLossReference, type PreferenceExample } from '@sppo/core';
import { createLocalHost, optimizerScalars, type StepGraph, type TensorData } from '@sppo/autodiff';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { referenceSequenceLogps } from '../llama/reference.ts';
import { PREFERENCE_LOSS_TYPES } from './losses.ts';
import { buildPreferenceTrainStep, buildSftTrainStep, buildSingleResponseSppoTrainStep } from './train-steps.ts';
import { floats, int64, padBatch, paramFeeds, randomRows, randomWeights, roundToFloat32, tinyConfig, type PaddedBatch } from './test-utils.ts';

const cfg = tinyConfig();
const weights = roundToFloat32(randomWeights(cfg, 29));
const T = 8;

/** Runs `steps` optimizer steps of a fused step graph on one batch, carrying params and state. */
async function train(step: StepGraph, batch: Record<string, ort.Tensor>, steps: number, lr: number): Promise<Record<string, number>[]> {
  const dtype = step.floatType;
  const session = await ort.InferenceSession.create(step.model, {
    graphOptimizationLevel: dtype === 'float64' ? 'basic' : 'all',
    intraOpNumThreads: 1,
  });
  let carried: Record<string, ort.Tensor> = paramFeeds(cfg, weights, dtype);
  for (const s of step.state) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    carried[s.name] = new ort.Tensor(dtype, dtype === 'float64' ? new Float64Array(n) : new Float32Array(n), s.shape);
  }
  const history: Record<string, number>[] = [];
  try {
    for (let i = 1; i <= steps; i++) {
      const scalars = optimizerScalars(step.optimizer ?? { type: 'sgd' }, i, lr);
      const feeds: Record<string, ort.Tensor> = { ...carried, ...batch };
      for (const name of step.scalars) feeds[name] = floats([scalars[name] as number], dtype, []);
      const out = await session.run(feeds);
      history.push(Object.fromEntries(step.outputs.map((k) => [k, Number(out[k]?.data[0])])));
      const next: Record<string, ort.Tensor> = { ...carried };
      for (const [o, input] of step.carry) next[input] = out[o] as ort.Tensor;
      carried = next;
    }
  } finally {
    await session.release();
  }
  return history;
}

const tokenFeeds = (b: PaddedBatch): Record<string, ort.Tensor> => ({
  input_ids: int64(b.inputIds),
  attention_mask: int64(b.attentionMask),
  response_mask: int64(b.responseMask),
});

function closeRel(got: number | undefined, want: number, tol: number): void {
  expect(got).toBeDefined();
  expect(Math.abs((got as number) - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
}

describe('fused training steps', () => {
  it('SFT: first loss is the reference NLL; AdamW steps on one batch drive it down', async () => {
    const batch = padBatch(randomRows(cfg.vocab_size, [[2, 5], [3, 4]], 3), T);
    const step = buildSftTrainStep({ config: cfg, batchSize: 2, sequenceLength: T, optimizer: { type: 'adamw', weightDecay: 0 }, maxGradNorm: 1 });
    expect(step.outputs).toEqual(['loss', 'mean_token_accuracy', 'num_tokens', 'grad_norm']);
    expect(step.params.map((p) => p.name)).toContain('lm_head.weight');
    expect(step.carry).toContainEqual(['next/model.embed_tokens.weight', 'model.embed_tokens.weight']);
    const history = await train(step, tokenFeeds(batch), 25, 2e-2);
    const ref = referenceSequenceLogps(cfg, weights, batch).logps;
    closeRel(history[0]?.loss, -(ref[0]! + ref[1]!) / 9, 1e-5);
    expect(history[0]?.grad_norm).toBeGreaterThan(0);
    expect(history.at(-1)?.loss).toBeLessThan(0.5 * (history[0]?.loss as number));
  });

  it('sppo (float64, RMSprop): step-0 loss and metrics equal core; the log-ratios move to their targets', async () => {
    const batch = padBatch(randomRows(cfg.vocab_size, [[3, 4], [2, 3], [3, 2], [1, 5]], 5), T);
    const policy = referenceSequenceLogps(cfg, weights, batch).logps;
    const refChosen = [policy[0]! - 0.2, policy[1]! + 0.1];
    const refRejected = [policy[2]! + 0.05, policy[3]! - 0.3];
    const pw = [0.7, 0.62];
    const pl = [0.3, 0.41];
    const beta = 0.1;
    const step = buildPreferenceTrainStep({
      config: cfg,
      batchSize: 2,
      sequenceLength: T,
      lossType: 'sppo',
      beta,
      optimizer: { type: 'rmsprop' },
      maxGradNorm: 1,
      floatType: 'float64',
    });
    expect(step.data.map((d) => d.name)).toEqual([
      'input_ids',
      'attention_mask',
      'response_mask',
      'reference_chosen_logps',
      'reference_rejected_logps',
      'chosen_probs_win',
      'chosen_probs_lose',
    ]);
    const history = await train(
      step,
      {
        ...tokenFeeds(batch),
        reference_chosen_logps: floats(refChosen, 'float64'),
        reference_rejected_logps: floats(refRejected, 'float64'),
        chosen_probs_win: floats(pw, 'float64'),
        chosen_probs_lose: floats(pl, 'float64'),
      },
      40,
      5e-4,
    );
    const examples: PreferenceExample[] = [0, 1].map((i) => ({
      policyChosenLogp: policy[i]!,
      policyRejectedLogp: policy[i + 2]!,
      referenceChosenLogp: refChosen[i]!,
      referenceRejectedLogp: refRejected[i]!,
      chosenProbsWin: pw[i]!,
      chosenProbsLose: pl[i]!,
    }));
    closeRel(history[0]?.loss, batchPreferenceLossReference('sppo', examples, { beta }), 1e-10);
    for (const [k, v] of Object.entries(preferenceMetricsReference(examples, beta))) closeRel(history[0]?.[k], v, 1e-10);
    // targets beta * eta (p - 1/2): rewards/chosen -> mean(0.2, 0.12) = 0.16, rewards/rejected -> -0.145
    expect(history.at(-1)?.loss).toBeLessThan(0.1 * (history[0]?.loss as number));
    expect(history.at(-1)?.['rewards/chosen']).toBeGreaterThan(0.1);
    expect(history.at(-1)?.['rewards/rejected']).toBeLessThan(-0.1);
  });

  it('row_mask: a filler pair padding the bucket changes neither loss, metrics nor gradients', async () => {
    const rows = randomRows(cfg.vocab_size, [[3, 4], [2, 3], [3, 2], [1, 5]], 9);
    const filler = { prompt: [], response: [] };
    const real = padBatch(rows, T);
    const padded = padBatch([rows[0]!, rows[1]!, filler, rows[2]!, rows[3]!, filler], T);
    const common = { config: cfg, sequenceLength: T, lossType: 'sigmoid' as const, beta: 0.1, optimizer: { type: 'sgd' as const }, floatType: 'float64' as const };
    const extra = (n: number) => ({
      reference_chosen_logps: floats([-20, -18, 0].slice(0, n), 'float64'),
      reference_rejected_logps: floats([-17, -25, 0].slice(0, n), 'float64'),
    });
    const [want] = await train(buildPreferenceTrainStep({ ...common, batchSize: 2 }), { ...tokenFeeds(real), ...extra(2) }, 1, 0);
    const [got] = await train(
      buildPreferenceTrainStep({ ...common, batchSize: 3, rowMask: true }),
      { ...tokenFeeds(padded), ...extra(3), row_mask: floats([1, 1, 0], 'float64') },
      1,
      0,
    );
    for (const [k, v] of Object.entries(want ?? {})) closeRel(got?.[k], v, 1e-12);
  });

  it('per-response SPPO step: first loss equals singleResponseSppoLossReference', async () => {
    const batch = padBatch(randomRows(cfg.vocab_size, [[3, 4], [2, 5], [4, 2]], 7), T);
    const policy = referenceSequenceLogps(cfg, weights, batch).logps;
    const ref = policy.map((p, i) => p + 0.1 * (i - 1));
    const win = [0.8, 0.5, 0.2];
    const step = buildSingleResponseSppoTrainStep({ config: cfg, batchSize: 3, sequenceLength: T, beta: 0.1, optimizer: { type: 'sgd' }, floatType: 'float64' });
    const history = await train(step, { ...tokenFeeds(batch), reference_logps: floats(ref, 'float64'), win_rate: floats(win, 'float64') }, 3, 1e-3);
    const want = policy.reduce((s, p, i) => s + singleResponseSppoLossReference(p, ref[i]!, win[i]!, 0.1), 0) / 3;
    closeRel(history[0]?.loss, want, 1e-10);
    expect(history[2]?.loss).toBeLessThan(history[0]?.loss as number);
  });

  it('declares exactly the probability inputs each loss type reads', () => {
    const inputs = Object.fromEntries(
      PREFERENCE_LOSS_TYPES.map((lossType) => {
        const step = buildPreferenceTrainStep({ config: cfg, batchSize: 1, sequenceLength: 4, lossType, beta: 0.1, optimizer: { type: 'sgd' } });
        return [lossType, step.data.map((d) => d.name).filter((n) => n.startsWith('chosen_probs'))];
      }),
    );
    expect(inputs).toEqual({
      sppo: ['chosen_probs_win', 'chosen_probs_lose'],
      sppo_single: ['chosen_probs'],
      sppo_hard: [],
      sigmoid: [],
      ipo: [],
    });
  });

  it('SPPO with clipping: params and optimizer state written in place equal fresh outputs, bit for bit', async () => {
    // The fused step reads every weight before its update (the updates wait for the global norm),
    // so the host may write next/<p> over <p> (StepGraph.carryInPlace); check that on the model.
    const b = padBatch(randomRows(cfg.vocab_size, [[2, 3], [3, 2], [1, 4], [2, 2]], 31), T);
    const step = buildPreferenceTrainStep({ config: cfg, lossType: 'sppo', beta: 0.001, batchSize: 2, sequenceLength: T, optimizer: { type: 'adamw', weightDecay: 0.01 }, maxGradNorm: 0.5 });
    expect(step.carryInPlace).toBe(true);
    const data: Record<string, TensorData> = {};
    for (const d of step.data) {
      const n = d.shape.reduce((a: number, x) => a * (x as number), 1);
      data[d.name] = d.dtype === 'int64'
        ? { dtype: 'int64', dims: d.shape as number[], data: BigInt64Array.from({ length: n }, (_, i) => BigInt(d.name.includes('mask') ? 1 : (b.inputIds.flat()[i % b.inputIds.flat().length] ?? 3))) }
        : { dtype: 'float32', dims: d.shape as number[], data: Float32Array.from({ length: n }, (_, i) => (d.name.includes('logps') ? -5 - i : 0.3 + 0.1 * i)) };
    }
    const run = async (inPlace: boolean) => {
      const host = createLocalHost();
      await host.load('step', step.model);
      const held: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(paramFeeds(cfg, weights, 'float32'))) held[name] = { dtype: 'float32', dims: [...t.dims], data: (t.data as Float32Array).slice() };
      for (const st of step.state) held[st.name] = { dtype: 'float32', dims: st.shape, data: new Float32Array(st.shape.reduce((a, x) => a * x, 1)) };
      await host.setTensors(held);
      for (let k = 1; k <= 3; k++) {
        const feeds: Record<string, TensorData> = { ...data };
        for (const [n, v] of Object.entries(optimizerScalars(step.optimizer!, k, 0.01))) feeds[n] = { dtype: 'float32', dims: [], data: Float32Array.of(v) };
        await host.run({ key: 'step', feeds, carry: step.carry, fetch: step.outputs, inPlace });
      }
      const out = await host.getTensors(step.carry.map(([, i]) => i));
      await host.close();
      return Object.fromEntries(Object.entries(out).map(([n, t]) => [n, Array.from(t.data as Float32Array)]));
    };
    const inPlace = await run(true);
    const buffered = await run(false);
    expect(Object.keys(inPlace).length).toBe(step.carry.length);
    expect(inPlace).toEqual(buffered);
    // the steps moved the weights, so the comparison has teeth
    const first = step.params[0]!.name;
    expect(inPlace[first]).not.toEqual(Array.from(paramFeeds(cfg, weights, 'float32')[first]!.data as Float32Array));
  });

  it('trains only the requested subset, the rest stay frozen inputs', () => {
    const step = buildSftTrainStep({ config: cfg, batchSize: 1, sequenceLength: 4, optimizer: { type: 'sgd' }, trainable: ['lm_head.weight'] });
    expect(step.params.map((p) => p.name)).toEqual(['lm_head.weight']);
    expect(step.frozen.length).toBe(cfg.num_hidden_layers * 9 + 2);
  });
});
