/**
 * The trained policy as the next checkpoint folder (ARCHITECTURE 3.4): the starting checkpoint's
 * config and tokenizer, the new weights, model.onnx (the KV-cache generation graph, with
 * model.onnx_data for big models), training_args.json (the resolved config) and metrics.json
 * (per-step log history + summary), `_COMPLETE` last (packages/model's writeCheckpoint).
 */
import { writeCheckpoint, type Checkpoint, type CompleteMarker } from '../checkpoint.ts';
import { buildGenerationModelFiles } from '../graphs/generation.ts';
import type { LogEntry } from './state.ts';

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
}

export async function writeTrainedCheckpoint(dir: string, { base, weights, trainingArgs, logHistory, summary, overwrite = false }: TrainedCheckpointInput): Promise<CompleteMarker> {
  const onnx = buildGenerationModelFiles(base.config, new Map(weights));
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
      ...(onnx.externalData === null ? {} : { extraFiles: { [onnx.externalData.fileName]: onnx.externalData.chunks } }),
    },
    { overwrite },
  );
}
