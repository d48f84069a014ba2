import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../checkpoint.ts';
import { createSequenceScorer } from '../scoring/scorer.ts';
import type { SequenceInput } from '../tokenize.ts';
import { createTrainStepper, type StepGraph } from '@sppo/autodiff';
import { buildSingleResponseSppoTrainStep } from '../graphs/train-steps.ts';
import { collateStep, rowsForStep, scoredSequences } from './batches.ts';
import { buildStepGraph, optimizerFromArgs } from './steps.ts';
import type { PairTokens, TrainingData } from './examples.ts';
import { trainPolicy } from './loop.ts';
import { writeTrainedCheckpoint } from './output.ts';
import { preparePreferenceData, prepareSftData } from './prepare.ts';
import { resolveTrainingArgs } from './presets.ts';
import { deserializeTrainState, serializeTrainState, type TrainState } from './state.ts';
import { pairRows, responseRows, sftRows, tinyModel } from './test-fixtures.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sppo-training-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const model = tinyModel();
const padId = model.tokenizer.padId;

async function score(weights: ReadonlyMap<string, Float32Array>, sequences: SequenceInput[]): Promise<{ logps: number[]; counts: number[] }> {
  const scorer = await createSequenceScorer({ config: model.config, weights: new Map(weights), padId });
  try {
    return await scorer.score(sequences);
  } finally {
    await scorer.close();
  }
}

const meanNll = (s: { logps: number[]; counts: number[] }): number => -s.logps.reduce((a, b) => a + b, 0) / s.counts.reduce((a, b) => a + b, 0);

describe('trainPolicy: SFT', () => {
  it('lowers the loss on a small dataset; the saved checkpoint reloads and scores identically', async () => {
    const args = resolveTrainingArgs({ preset: 'tiny', args: { num_train_epochs: 3, learning_rate: 3e-3 } });
    const { data } = prepareSftData(sftRows(24), { tokenizer: model.tokenizer, args });
    const lines: string[] = [];
    const result = await trainPolicy({ config: model.config, weights: model.weights, data, args, padId, onStep: (_e, line) => lines.push(line) });
    expect(result.plan.trainSteps).toBe(18);
    expect(lines).toHaveLength(18);
    expect(lines[5]).toMatch(/^step 6\/18: loss [\d.]+, token_acc [\d.]+, grad_norm [\d.]+, lr [\d.e-]+, \d+ms$/);
    expect(result.logHistory.map((e) => e.step)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));

    const sequences = scoredSequences(data);
    const before = meanNll(await score(model.weights, sequences));
    const trainedScores = await score(result.weights, sequences);
    const after = meanNll(trainedScores);
    console.log(`SFT mean token NLL: ${before.toFixed(3)} -> ${after.toFixed(3)}`);
    expect(after).toBeLessThan(before - 0.3);

    const dir = join(root, 'sft-out');
    await writeTrainedCheckpoint(dir, { base: model, weights: result.weights, trainingArgs: args, logHistory: result.logHistory, summary: result.summary });
    const reloaded = await readCheckpoint(dir, { verifyHashes: true });
    expect(reloaded.files).toEqual(expect.arrayContaining(['model.onnx', 'training_args.json', 'metrics.json', '_COMPLETE']));
    expect(reloaded.trainingArgs).toEqual(args);
    expect((reloaded.metrics as { log_history: unknown[] }).log_history).toHaveLength(18);
    expect((await score(reloaded.weights, sequences)).logps).toEqual(trainedScores.logps);
  });
});

describe('trainPolicy: schedules', () => {
  it('schedule_num_train_epochs: an 18-epoch linear schedule stopped after one epoch stays in warmup (SPPO-REFERENCE 2.6)', async () => {
    const args = resolveTrainingArgs({ preset: 'official-18', args: { per_device_train_batch_size: 2, gradient_accumulation_steps: 1 } });
    const { data } = prepareSftData(sftRows(8), { tokenizer: model.tokenizer, args });
    const result = await trainPolicy({ config: model.config, weights: model.weights, data, args, padId, thread: 'main' });
    // 4 steps of a 72-step schedule with ceil(7.2) = 8 warmup steps: lr = 5e-7 * step / 8.
    expect(result.plan).toEqual({ stepsPerEpoch: 4, trainSteps: 4, scheduleSteps: 72, warmupSteps: 8 });
    expect(result.logHistory.map((e) => e.learning_rate)).toEqual([0, 1, 2, 3].map((s) => (5e-7 * s) / 8));
  });
});

describe('trainPolicy: preference losses', () => {
  it('sppo: the first loss is eq. (4.7) at pi_theta = pi_t, and training moves the log-ratios toward eta (P - 1/2)', async () => {
    const args = resolveTrainingArgs({ preset: 'tiny', args: { beta: 0.1, num_train_epochs: 4, warmup_ratio: 0 } });
    const { data } = preparePreferenceData(pairRows(12), { tokenizer: model.tokenizer, args });
    const result = await trainPolicy({ config: model.config, weights: model.weights, data, args, padId, thread: 'main' });
    const first = result.logHistory[0] as Record<string, number>;
    const plan = result.plan;
    const rows = rowsForStep(0, { plan, numExamples: 12, rowsPerStep: args.per_device_train_batch_size, seed: args.seed }).indices;
    const eta = 1 / args.beta;
    const pairs = (data as Extract<TrainingData, { kind: 'pair' }>).examples;
    const expected = rows.reduce((s, i) => {
      const p = pairs[i] as PairTokens;
      return s + 0.5 * ((eta * (p.chosenProbsWin - 0.5)) ** 2 + (eta * (p.chosenProbsLose - 0.5)) ** 2);
    }, 0) / rows.length;
    expect(first.loss).toBeCloseTo(expected, 3);
    expect(Math.abs(first['rewards/chosen'] as number)).toBeLessThan(1e-4);
    const last = result.logHistory.at(-1) as Record<string, number>;
    // Targets are beta * eta (p - 1/2) = +0.12..0.16 (chosen) and -0.12..-0.16 (rejected) in reward units.
    expect(last['rewards/chosen']).toBeGreaterThan(0.05);
    expect(last['rewards/rejected']).toBeLessThan(-0.05);
    expect(last.loss).toBeLessThan((first.loss as number) / 3);
  });

  it('selection all: the per-response eq. (4.7) with TRL-named metrics split by P-hat > 1/2', async () => {
    const args = resolveTrainingArgs({ preset: 'tiny', args: { beta: 0.1, num_train_epochs: 4, warmup_ratio: 0 } });
    const { data } = preparePreferenceData(responseRows(16), { tokenizer: model.tokenizer, args });
    expect(data.kind).toBe('response');
    const result = await trainPolicy({ config: model.config, weights: model.weights, data, args, padId, thread: 'main' });
    const first = result.logHistory[0] as Record<string, number>;
    // Every row's target is eta (p - 1/2) = +-2 at a log-ratio of 0.
    expect(first.loss).toBeCloseTo(4, 3);
    const last = result.logHistory.at(-1) as Record<string, number>;
    expect(last['rewards/chosen']).toBeGreaterThan(0.1);
    expect(last['rewards/rejected']).toBeLessThan(-0.1);
    expect(last['rewards/accuracies']).toBe(1);
    expect(last['rewards/margins']).toBeCloseTo((last['rewards/chosen'] as number) - (last['rewards/rejected'] as number), 6);
    await expect(
      trainPolicy({ config: model.config, weights: model.weights, data, args: { ...args, loss_type: 'sigmoid' }, padId, thread: 'main' }),
    ).rejects.toThrow(/per-response rows/);
  });

  it('the per-response step equals graphs\' buildSingleResponseSppoTrainStep: loss, its metrics and the update (float64)', async () => {
    const args = resolveTrainingArgs({ preset: 'tiny', args: { beta: 0.1 } });
    const { data } = preparePreferenceData(responseRows(6), { tokenizer: model.tokenizer, args });
    const batch = collateStep(data, [0, 1, 2, 3, 4, 5], { padId, bucketMultiple: 32, floatType: 'float64', referenceLogps: Float64Array.from([-40, -35, -50, -42, -38, -45]) });
    const o = { config: model.config, batchSize: 6, sequenceLength: batch.bucket.seqLen, beta: 0.1, optimizer: optimizerFromArgs(args), floatType: 'float64' as const, maxGradNorm: 1 };
    const params = Object.fromEntries(model.weights);
    const run = async (step: StepGraph) => {
      const stepper = await createTrainStepper({ buildStep: () => step, params, thread: 'main' });
      const out = await stepper.step(batch.bucket, batch.feeds, { lr: 1e-3 });
      const weights = await stepper.getParams();
      await stepper.close();
      return { out, weights };
    };
    const ours = await run(buildStepGraph('response', batch.bucket, { config: model.config, args, floatType: 'float64' }));
    const theirs = await run(buildSingleResponseSppoTrainStep(o));
    for (const key of ['loss', 'grad_norm', 'rewards/mean', 'rewards/positive', 'logps/mean']) expect(ours.out[key], key).toBeCloseTo(theirs.out[key] as number, 10);
    for (const [name, w] of Object.entries(theirs.weights)) expect(Array.from(ours.weights[name] as Float64Array), name).toEqual(Array.from(w));
  });
});

describe('trainPolicy: gradient accumulation', () => {
  it('4 pairs x 2 micro-batches makes the same updates as one batch of 8 (float64)', async () => {
    const common = { beta: 0.1, num_train_epochs: 1, warmup_ratio: 0, max_grad_norm: 0.5 };
    const accumulated = resolveTrainingArgs({ preset: 'tiny', args: { ...common, per_device_train_batch_size: 4, gradient_accumulation_steps: 2 } });
    const fused = resolveTrainingArgs({ preset: 'tiny', args: { ...common, per_device_train_batch_size: 8, gradient_accumulation_steps: 1 } });
    const { data } = preparePreferenceData(pairRows(16), { tokenizer: model.tokenizer, args: fused });
    const run = (args: typeof fused) => trainPolicy({ config: model.config, weights: model.weights, data, args, padId, thread: 'main', floatType: 'float64' });
    const [a, b] = [await run(accumulated), await run(fused)];
    expect(a.plan.trainSteps).toBe(2);
    for (const key of ['loss', 'grad_norm', 'rewards/margins'] as const) {
      a.logHistory.forEach((e, i) => expect((e as Record<string, number>)[key]).toBeCloseTo((b.logHistory[i] as Record<string, number>)[key] as number, 9));
    }
    let worst = 0;
    for (const [name, w] of b.weights) {
      const v = a.weights.get(name) as Float32Array;
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs((v[i] as number) - (w[i] as number)));
    }
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('trainPolicy: resume', () => {
  it('a run resumed from a saved state ends with bit-identical weights and log', async () => {
    const args = resolveTrainingArgs({ preset: 'tiny', args: { beta: 0.1, num_train_epochs: 2, save_steps: 3, per_device_train_batch_size: 3 } });
    const { data } = preparePreferenceData(pairRows(10), { tokenizer: model.tokenizer, args });
    const saved: [string, Uint8Array][][] = [];
    const onSave = async (state: TrainState): Promise<void> => {
      saved.push(serializeTrainState(state));
    };
    const full = await trainPolicy({ config: model.config, weights: model.weights, data, args, padId, onSave });
    expect(full.plan.trainSteps).toBe(8);
    expect(saved.map((files) => files[0]?.[0])).toEqual(['weights-step3.safetensors', 'weights-step6.safetensors']);

    // "Crash" after the save at step 3: a new process reads the files back and continues.
    const files = new Map(saved[0]);
    const state = await deserializeTrainState(files.get('state.json') as Uint8Array, (n) => Promise.resolve(files.get(n) as Uint8Array));
    const resumed = await trainPolicy({ config: model.config, weights: model.weights, data, args, padId, resume: state });
    expect(resumed.resumedFromStep).toBe(3);
    expect(resumed.summary['train/resumed_from_step']).toBe(3);
    for (const [name, w] of full.weights) expect(resumed.weights.get(name), name).toEqual(w);
    expect(resumed.logHistory).toEqual(full.logHistory);

    const otherArgs = { ...args, learning_rate: 2e-3 };
    await expect(trainPolicy({ config: model.config, weights: model.weights, data, args: otherArgs, padId, resume: state })).rejects.toThrow(/another job/);
  });
});
