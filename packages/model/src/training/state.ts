/**
 * Resumable trainer state: parameters, optimizer moments, the optimizer step (which is also the
 * data-order position, batches.ts) and the log so far. Saved as three files so that a store can
 * write them one by one and a reader never sees a mix of two saves:
 *   weights-step{N}.safetensors, optimizer-step{N}.safetensors   (written first)
 *   state.json                                                   (written last; names the two
 *                                                                 files with their sha256)
 * A `fingerprint` of the data and arguments guards against resuming a different job.
 */
import { createHash } from 'node:crypto';
import { deserializeOptimizerState, serializeOptimizerState, type OptimizerState } from '@sppo/autodiff';
import type { TrainingLogEntry } from '@sppo/core';
import { readSafetensorsF64, writeSafetensors } from '../safetensors.ts';

export const TRAIN_STATE_FILE = 'state.json';
const FORMAT = 'sppo-train-state/1';

export type LogEntry = TrainingLogEntry | (Record<string, number> & { step: number; epoch: number });

export interface TrainState {
  /** Optimizer steps completed; the next step to run. */
  step: number;
  /** Identifies the job (data + args + starting weights); a state of another job is not resumed. */
  fingerprint: string;
  /** Float32 (or float64 for float64 training) values, saved in their own dtype. */
  weights: Record<string, Float32Array | Float64Array>;
  optimizer: OptimizerState;
  logHistory: LogEntry[];
  /** Training seconds spent before this save (summed over attempts). */
  runtimeSeconds: number;
}

interface StateJson {
  format: typeof FORMAT;
  step: number;
  fingerprint: string;
  runtime_seconds: number;
  files: { weights: string; optimizer: string };
  sha256: Record<string, string>;
  log_history: LogEntry[];
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The state as named files, in write order: `state.json` is last and must be written last. */
export function serializeTrainState(state: TrainState): [name: string, bytes: Uint8Array][] {
  const weightsFile = `weights-step${state.step}.safetensors`;
  const optimizerFile = `optimizer-step${state.step}.safetensors`;
  const weights = writeSafetensors(Object.entries(state.weights).map(([name, data]) => [name, { shape: [data.length], data }]), { format: 'sppo-train-state' });
  const optimizer = serializeOptimizerState(state.optimizer);
  const json: StateJson = {
    format: FORMAT,
    step: state.step,
    fingerprint: state.fingerprint,
    runtime_seconds: state.runtimeSeconds,
    files: { weights: weightsFile, optimizer: optimizerFile },
    sha256: { [weightsFile]: sha256(weights), [optimizerFile]: sha256(optimizer) },
    log_history: state.logHistory,
  };
  return [
    [weightsFile, weights],
    [optimizerFile, optimizer],
    [TRAIN_STATE_FILE, new TextEncoder().encode(`${JSON.stringify(json)}\n`)],
  ];
}

/** Parses state.json: which tensor files it needs. */
export function readTrainStateIndex(stateJson: Uint8Array | string): StateJson {
  const text = typeof stateJson === 'string' ? stateJson : new TextDecoder().decode(stateJson);
  const json = JSON.parse(text) as Partial<StateJson>;
  if (json.format !== FORMAT || typeof json.step !== 'number' || !json.files || !json.sha256) {
    throw new Error(`${TRAIN_STATE_FILE} is not a ${FORMAT} record (got format ${JSON.stringify(json.format)}); delete the train state to start the round over`);
  }
  return json as StateJson;
}

/** Rebuilds the state from state.json and a reader of the files it names (checked by sha256). */
export async function deserializeTrainState(stateJson: Uint8Array | string, readFile: (name: string) => Promise<Uint8Array>): Promise<TrainState> {
  const index = readTrainStateIndex(stateJson);
  const load = async (name: string): Promise<Uint8Array> => {
    const bytes = await readFile(name);
    if (sha256(bytes) !== index.sha256[name]) {
      throw new Error(`train state file ${name} does not match the sha256 in ${TRAIN_STATE_FILE} (a partial or mixed save); delete the train state to start over`);
    }
    return bytes;
  };
  const weightsBytes = await load(index.files.weights);
  const optimizer = deserializeOptimizerState(await load(index.files.optimizer));
  const weights: Record<string, Float32Array | Float64Array> = {};
  const read = readSafetensorsF64(weightsBytes, index.files.weights);
  for (const [name, t] of read.tensors) weights[name] = read.dtypes.get(name) === 'F64' ? t.data : Float32Array.from(t.data);
  return { step: index.step, fingerprint: index.fingerprint, weights, optimizer, logHistory: index.log_history, runtimeSeconds: index.runtime_seconds };
}
