import { ValidationError, type PairTripletRow } from '@sppo/core';
import { describe, expect, it } from 'vitest';
import { epochPermutation, rowsForStep, collateStep } from './batches.ts';
import { tokenizeForTraining } from './examples.ts';
import { preparePreferenceData, prepareSftData } from './prepare.ts';
import { resolveTrainingArgs, trainingPreset } from './presets.ts';
import { preferenceExamplesFromTriplets, sftExamplesFromRows } from './rows.ts';
import { deserializeTrainState, serializeTrainState, type TrainState } from './state.ts';
import { pairRows, responseRows, tinyModel } from './test-fixtures.ts';

const args = resolveTrainingArgs({ preset: 'tiny' });

describe('training rows', () => {
  it('reads official pair rows (message lists) and selection-all rows', () => {
    const pairs = preferenceExamplesFromTriplets(pairRows(3));
    expect(pairs.kind).toBe('pair');
    expect(pairs.examples[0]).toMatchObject({ prompt: [{ role: 'user', content: 'Question 0: say something' }], chosenProbs: 0.7, chosenProbsWin: 0.62 });
    const responses = preferenceExamplesFromTriplets(responseRows(4));
    expect(responses.kind).toBe('response');
    expect(responses.examples.map((e) => (e as { winRate: number }).winRate)).toEqual([0.7, 0.3, 0.7, 0.3]);
  });

  it('reports every bad row at once: probabilities outside [0, 1], empty responses, mixed kinds', () => {
    const rows = pairRows(3);
    const bad: PairTripletRow[] = [
      { ...(rows[0] as PairTripletRow), chosen_probs_win: 1.2 },
      { ...(rows[1] as PairTripletRow), rejected: [{ role: 'user', content: 'Question 1: say something' }, { role: 'assistant', content: '  ' }] },
    ];
    let error: unknown;
    try {
      preferenceExamplesFromTriplets([...bad, ...responseRows(1)], (i) => `shard=0 line ${i + 1}`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(['shard=0 line 1: chosen_probs_win', 'shard=0 line 2: rejected', '(rows)']);
    expect((error as Error).message).toMatch(/empty/);
    expect(() => preferenceExamplesFromTriplets([])).toThrow(/no triplet rows/);
  });

  it('accepts the TRL SFT formats and rejects rows without a response', () => {
    const ex = sftExamplesFromRows([
      { prompt: 'hi', response: 'hello' },
      { prompt: 'hi', completion: 'hey' },
      { messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'u' }, { role: 'assistant', content: 'a' }] },
      { prompt: [{ role: 'user', content: 'q' }], completion: [{ role: 'assistant', content: 'c' }] },
    ]);
    expect(ex.map((e) => e.response)).toEqual(['hello', 'hey', 'a', 'c']);
    expect(ex[2]?.prompt).toEqual([{ role: 'system', content: 's' }, { role: 'user', content: 'u' }]);
    expect(ex[3]?.prompt).toEqual([{ role: 'user', content: 'q' }]);
    expect(() => sftExamplesFromRows([{ prompt: 'x' }, { messages: [{ role: 'user', content: 'u' }] }, { prompt: 'a', response: '' }])).toThrow(
      /3 problems[\s\S]*line 1[\s\S]*line 2[\s\S]*line 3/,
    );
  });
});

describe('tokenization for training', () => {
  const { tokenizer } = tinyModel();

  it('puts the generation prompt on the prompt side and the end-of-turn marker on the response side', () => {
    const row = tokenizeForTraining('What is a cat?', ['A cat is an animal.'], { tokenizer, args });
    expect(tokenizer.decode(row.promptIds)).toMatch(/<\|user\|>\nWhat is a cat\?<\|end\|><\|assistant\|>\n$/);
    expect(tokenizer.decode(row.responseIds[0] as number[])).toBe('A cat is an animal.<|end|>');
  });

  it('truncates the prompt from the left (keep_end) or the right (keep_start), then the responses (SPPO-REFERENCE 2.3)', () => {
    const long = 'the cat likes the answer today '.repeat(20);
    const small = resolveTrainingArgs({ args: { max_length: 40, max_prompt_length: 24 } });
    const end = tokenizeForTraining(long, ['a long story '.repeat(10)], { tokenizer, args: small });
    expect(end.promptIds.length).toBe(24);
    expect(end.promptTruncated).toBe(true);
    expect(end.promptIds[0]).toBe(tokenizer.bosId); // the BOS survives the left cut
    expect(tokenizer.decode(end.promptIds)).toMatch(/<\|assistant\|>\n$/);
    expect(end.responseIds[0]).toHaveLength(16);
    const start = tokenizeForTraining(long, ['a long story '.repeat(10)], { tokenizer, args: { ...small, truncation_mode: 'keep_start' } });
    expect(start.promptIds.length).toBe(24);
    expect(tokenizer.decode(start.promptIds)).toMatch(/^<\|begin_of_text\|><\|user\|>\nthe cat/);
    const capped = tokenizeForTraining('hi', ['a long story '.repeat(10)], { tokenizer, args: { ...small, max_completion_length: 5 } });
    expect(capped.responseIds[0]).toHaveLength(5);
    expect(capped.responsesTruncated).toEqual([true]);
  });

  it('prepares pair data with chosen and rejected sharing one prompt', () => {
    const { data, stats } = preparePreferenceData(pairRows(4), { tokenizer, args });
    expect(data.kind).toBe('pair');
    expect(stats).toEqual({ examples: 4, truncatedPrompts: 0, truncatedResponses: 0 });
    const sft = prepareSftData([{ prompt: 'a', response: 'b' }], { tokenizer, args });
    expect(sft.data.examples).toHaveLength(1);
  });
});

describe('data order and batches', () => {
  it('visits every row once per epoch in a seeded order, the last step taking the remainder', () => {
    expect(epochPermutation(10, 42, 0)).toEqual(epochPermutation(10, 42, 0));
    expect(epochPermutation(10, 42, 0)).not.toEqual(epochPermutation(10, 42, 1));
    const plan = { stepsPerEpoch: 2, trainSteps: 4, scheduleSteps: 4, warmupSteps: 0 };
    // 10 rows, batch 4 x accumulation 1 would be 3 steps; with accumulation 2, 2 steps of 8 + 2 rows.
    const steps = [0, 1, 2, 3].map((s) => rowsForStep(s, { plan, numExamples: 10, rowsPerStep: 8, seed: 1 }));
    expect(steps.map((s) => s.indices.length)).toEqual([8, 2, 8, 2]);
    expect(steps.map((s) => s.epoch)).toEqual([0, 0, 1, 1]);
    expect([...steps[0]!.indices, ...steps[1]!.indices].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('collates pairs as chosen rows then rejected rows with their reference log-probs', () => {
    const { tokenizer } = tinyModel();
    const { data } = preparePreferenceData(pairRows(3), { tokenizer, args });
    const batch = collateStep(data, [2, 0], { padId: tokenizer.padId, bucketMultiple: 32, floatType: 'float32', referenceLogps: Float64Array.from([-1, -2, -3, -4, -5, -6]) });
    expect(batch.bucket.rows).toBe(2);
    expect(batch.bucket.seqLen % 32).toBe(0);
    expect(batch.feeds.input_ids?.dims).toEqual([4, batch.bucket.seqLen]);
    expect(Array.from(batch.feeds.reference_chosen_logps?.data as Float32Array)).toEqual([-5, -1]);
    expect(Array.from(batch.feeds.reference_rejected_logps?.data as Float32Array)).toEqual([-6, -2]);
    expect(() => collateStep(data, [0], { padId: 2, bucketMultiple: 32, floatType: 'float32' })).toThrow(/reference log-probs/);
  });
});

describe('presets and train state files', () => {
  it('layers schema defaults < preset < given args and names the valid presets', () => {
    expect(resolveTrainingArgs({ preset: 'official' })).toMatchObject({ optim: 'rmsprop', learning_rate: 5e-7, gradient_accumulation_steps: 8, per_device_train_batch_size: 8 });
    expect(resolveTrainingArgs({ preset: 'official-18' }).schedule_num_train_epochs).toBe(18);
    expect(resolveTrainingArgs({ preset: 'tiny', args: { learning_rate: 2e-3 } })).toMatchObject({ optim: 'adamw', learning_rate: 2e-3 });
    expect(() => trainingPreset('huge')).toThrow(/official, official-18, tiny/);
  });

  it('round-trips a state and refuses files that do not match state.json', async () => {
    const state: TrainState = {
      step: 3,
      fingerprint: 'abc',
      weights: { w: Float32Array.from([1, 2, 3]) },
      optimizer: { step: 3, tensors: { 'optim/exp_avg/w': Float32Array.from([0.1, 0.2, 0.3]) } },
      logHistory: [{ step: 3, epoch: 1, loss: 0.5 }],
      runtimeSeconds: 1.5,
    };
    const files = new Map(serializeTrainState(state));
    expect([...files.keys()]).toEqual(['weights-step3.safetensors', 'optimizer-step3.safetensors', 'state.json']);
    const read = (name: string) => Promise.resolve(files.get(name) as Uint8Array);
    const back = await deserializeTrainState(files.get('state.json') as Uint8Array, read);
    expect(back).toMatchObject({ step: 3, fingerprint: 'abc', runtimeSeconds: 1.5, logHistory: state.logHistory });
    expect(back.weights.w).toEqual(state.weights.w);
    expect(back.optimizer.tensors['optim/exp_avg/w']).toEqual(state.optimizer.tensors['optim/exp_avg/w']);
    const other = new Map(serializeTrainState({ ...state, weights: { w: Float32Array.from([9, 9, 9]) } }));
    await expect(deserializeTrainState(files.get('state.json') as Uint8Array, (n) => Promise.resolve(other.get(n) as Uint8Array))).rejects.toThrow(/sha256/);
  });
});
