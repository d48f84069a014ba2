/**
 * A judge checkpoint folder: an ONNX pairwise model with PairRM's contract that can also be trained
 * further.
 *
 *   pairwise.onnx          inference graph, weights embedded (README.md: the contract)
 *   config.json            MiniPairRMConfig (model_type "mini_pairrm", PairRM's token-id fields)
 *   model.safetensors      float32 weights (encoder in HF Llama names, head as PairRM's head_layer)
 *   tokenizer.json, tokenizer_config.json
 *   training_args.json, metrics.json, log_history.json   when trained here
 *   _COMPLETE              written last (same marker format as policy checkpoints)
 *
 * Written into a temp folder beside `dir`, then renamed into place, so a reader never sees half.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFolderAtomically } from '../checkpoint.ts';
import { createTokenizer, type LoadedTokenizer } from '../tokenizer.ts';
import { parseMiniPairRMConfig, type MiniPairRMConfig, type PairwiseWeights } from './config.ts';
import { buildPairwiseModel, PAIRWISE_MODEL_FILE } from './onnx-model.ts';
import { parsePairwiseWeights, serializePairwiseWeights } from './weights.ts';

export const JUDGE_COMPLETE_MARKER = '_COMPLETE';

export interface PairwiseCheckpointInput {
  config: MiniPairRMConfig;
  weights: PairwiseWeights;
  tokenizer: LoadedTokenizer;
  trainingArgs?: unknown;
  metrics?: unknown;
  logHistory?: unknown;
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

export async function writePairwiseCheckpoint(dir: string, input: PairwiseCheckpointInput): Promise<void> {
  if (input.tokenizer.vocabSize > input.config.vocab_size) {
    throw new Error(`The tokenizer has ${input.tokenizer.vocabSize} ids but config.vocab_size is ${input.config.vocab_size}: every token id needs an embedding row`);
  }
  const files: [string, Uint8Array][] = [
    [PAIRWISE_MODEL_FILE, buildPairwiseModel(input.config, input.weights)],
    ['config.json', json(input.config)],
    ['model.safetensors', serializePairwiseWeights(input.config, input.weights)],
    ['tokenizer.json', json(input.tokenizer.tokenizerJson)],
    ['tokenizer_config.json', json(input.tokenizer.tokenizerConfig)],
  ];
  if (input.trainingArgs !== undefined) files.push(['training_args.json', json(input.trainingArgs)]);
  if (input.metrics !== undefined) files.push(['metrics.json', json(input.metrics)]);
  if (input.logHistory !== undefined) files.push(['log_history.json', json(input.logHistory)]);
  // The same write-then-swap as a policy checkpoint (its `_COMPLETE` names every file's sha256).
  await writeFolderAtomically(dir, files.map(([name, bytes]) => [name, [bytes]] as const));
}

export interface PairwiseCheckpoint {
  config: MiniPairRMConfig;
  weights: Map<string, Float32Array>;
  tokenizer: LoadedTokenizer;
}

async function readText(dir: string, name: string): Promise<string> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (e) {
    throw new Error(`Judge checkpoint ${dir}: cannot read ${name} (${(e as Error).message}); a mini-PairRM folder written by ./sppo judge-train has it.`);
  }
}

/** Reads a mini-PairRM folder for further training (the ONNX judge only needs loadPairwiseJudge). */
export async function readPairwiseCheckpoint(dir: string): Promise<PairwiseCheckpoint> {
  const config = parseMiniPairRMConfig(JSON.parse(await readText(dir, 'config.json')));
  const tokenizer = createTokenizer(JSON.parse(await readText(dir, 'tokenizer.json')), JSON.parse(await readText(dir, 'tokenizer_config.json')));
  const weights = parsePairwiseWeights(config, await readFile(join(dir, 'model.safetensors')), join(dir, 'model.safetensors'));
  return { config, weights, tokenizer };
}
