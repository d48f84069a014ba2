/**
 * The trained policy as the next checkpoint folder (ARCHITECTURE 3.4): the starting checkpoint's
 * config and tokenizer, the new weights, model.onnx (the KV-cache generation graph, with
 * model.onnx_data for big models), training_args.json (the resolved config) and metrics.json
 * (per-step log history + summary), `_COMPLETE` last (packages/model's writeCheckpoint).
 */
import { roundWeightsToDtype } from '../checkpoint-weights.ts';
import { writeCheckpoint, type Checkpoint, type CompleteMarker } from '../checkpoint.ts';
import { buildGenerationModelFiles } from '../graphs/generation.ts';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import type { LoraWeights } from '../lora/params.ts';
import { writePeftAdapter } from '../lora/peft.ts';
import type { LoraSpec } from '../lora/spec.ts';
import type { LogEntry } from './state.ts';

/** Where a use_peft round puts its adapter inside the checkpoint folder (PEFT's two files). */
export const ADAPTER_DIR = 'adapter';

export interface TrainedCheckpointInput {
  /** The checkpoint training started from (config, tokenizer, generation config). */
  base: Pick<Checkpoint, 'config' | 'tokenizerJson' | 'tokenizerConfig' | 'generationConfig'>;
  weights: ReadonlyMap<string, Float32Array>;
  /** Written as training_args.json (STYLE guideline 5). */
  trainingArgs: unknown;
  logHistory: readonly LogEntry[];
  summary: Record<string, number>;
  /** Replace a complete checkpoint already in `dir`. */
  overwrite?: boolean;
  /**
   * use_peft: the trained adapter, written as `adapter/adapter_config.json` and
   * `adapter/adapter_model.safetensors` (PEFT format) beside the merged weights. A sub-folder, so
   * that transformers loads the folder itself as the merged model and PEFT loads `adapter/`.
   */
  adapter?: { spec: LoraSpec; weights: LoraWeights; baseModelNameOrPath?: string };
}

export async function writeTrainedCheckpoint(dir: string, { base, weights: trained, trainingArgs, logHistory, summary, overwrite = false, adapter }: TrainedCheckpointInput): Promise<CompleteMarker> {
  // The next checkpoint keeps the config's torch_dtype (a bf16 base gives a bf16 checkpoint):
  // model.onnx is built from the same rounded weights that model.safetensors stores.
  const weights = roundWeightsToDtype(base.config, trained);
  const onnx = buildGenerationModelFiles(base.config, weights);
  const adapterFiles = adapter
    ? Object.fromEntries(
        Object.entries(writePeftAdapter(base.config as LlamaGraphConfig, adapter.spec, adapter.weights, { baseModelNameOrPath: adapter.baseModelNameOrPath ?? null })).map(([name, bytes]) => [`${ADAPTER_DIR}/${name}`, bytes]),
      )
    : {};
  return writeCheckpoint(
    dir,
    {
      config: base.config,
      weights,
      tokenizerJson: base.tokenizerJson,
      tokenizerConfig: base.tokenizerConfig,
      ...(base.generationConfig === undefined ? {} : { generationConfig: base.generationConfig }),
      onnx: onnx.model,
      trainingArgs,
      metrics: { log_history: logHistory, summary },
      extraFiles: { ...adapterFiles, ...(onnx.externalData === null ? {} : { [onnx.externalData.fileName]: onnx.externalData.chunks }) },
    },
    { overwrite },
  );
}
