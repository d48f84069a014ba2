/**
 * A tiny random checkpoint for the sampler's tests (not exported): our BPE tokenizer, the 'tiny'
 * preset and model.onnx from buildGenerationModel, written like a real checkpoint. The larger
 * initializer range spreads the logits so that greedy choices are far from ties.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCheckpoint } from '../checkpoint.ts';
import type { LlamaConfig } from '../config.ts';
import { buildGenerationModel } from '../graphs/generation.ts';
import { initializeWeights } from '../init.ts';
import { presetConfig } from '../presets.ts';
import { syntheticCorpus } from '../synthetic-corpus.ts';
import { trainBpeTokenizer } from '../tokenizer-train.ts';

export interface TinyCheckpointOptions {
  seed?: number;
  eosTokenId?: number | number[];
  maxPositionEmbeddings?: number;
  initializerRange?: number;
}

export async function writeTinyCheckpoint(
  dir: string,
  { seed = 3, eosTokenId = 1, maxPositionEmbeddings = 512, initializerRange = 0.2 }: TinyCheckpointOptions = {},
): Promise<LlamaConfig> {
  const { tokenizerJson, tokenizerConfig } = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 200 }), vocabSize: 320 });
  const config: LlamaConfig = {
    ...presetConfig('tiny', { vocabSize: 320, eosTokenId, maxPositionEmbeddings }),
    initializer_range: initializerRange,
  };
  const weights = initializeWeights(config, { seed });
  await writeCheckpoint(dir, { config, weights, tokenizerJson, tokenizerConfig, onnx: buildGenerationModel(config, weights) }, { overwrite: true });
  return config;
}

/** Rewrites generation_config.json's eos_token_id (the stop ids the sampler reads). */
export async function setGenerationEos(dir: string, eos: number | number[]): Promise<void> {
  await writeFile(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 0, eos_token_id: eos }));
}
