/**
 * The smallest model the whole pipeline runs on: a BPE tokenizer trained on the project's own
 * synthetic corpus and a random-init Llama (packages/model 'tiny' preset, shrunk further), with the
 * KV-cache generation graph, written as an HF checkpoint folder and uploaded to a shared bucket
 * prefix (e.g. `models/base/`) that POST /v1/runs copies to checkpoints/0/ (gateway README).
 * Nothing is downloaded: the fixture is made by the code under test's own packages.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '@sppo/cloud';
import { COMPLETE_MARKER } from '@sppo/core';
import { buildGenerationModel, createTokenizer, initializeWeights, presetConfigForTokenizer, syntheticCorpus, trainBpeTokenizer, writeCheckpoint } from '@sppo/model';

export interface TinyModelOptions {
  seed?: number;
  /** Bucket prefix of the model folder (a shared model prefix, see the gateway's base-checkpoint.ts). */
  prefix?: string;
}

/** Writes the tiny checkpoint to a temp folder and uploads it under `prefix` with `_COMPLETE` last. */
export async function uploadTinyModel(store: ObjectStore, { seed = 3, prefix = 'models/tiny/' }: TinyModelOptions = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sppo-faults-model-'));
  try {
    const { tokenizerJson, tokenizerConfig } = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 120 }), vocabSize: 300 });
    const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig);
    // Narrower than the 'tiny' preset: the faults suite cares about delivery, not quality; a wide
    // initializer keeps sampled responses varied so the judge sees distinct candidates.
    const config = { ...presetConfigForTokenizer('tiny', tokenizer, { maxPositionEmbeddings: 256 }), hidden_size: 32, intermediate_size: 64, head_dim: 8, initializer_range: 0.2 };
    const weights = initializeWeights(config, { seed });
    const folder = join(dir, 'ck');
    await writeCheckpoint(folder, { config, weights, tokenizerJson, tokenizerConfig, onnx: buildGenerationModel(config, weights) });
    await store.uploadFolder(folder, prefix, { lastFile: COMPLETE_MARKER });
    return prefix.replace(/\/$/, '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
