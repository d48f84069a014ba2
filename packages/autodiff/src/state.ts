// Optimizer state as plain named arrays + the step counter, saved in the safetensors layout
// (u64 little-endian header length, JSON header, raw little-endian data) so any safetensors
// reader can open it; the step and config travel in __metadata__ (strings only, per the format).
import type { StepGraph } from './trainstep.ts';

export interface OptimizerState {
  /** Optimizer steps taken so far (the next update is step + 1). */
  step: number;
  tensors: Record<string, Float32Array | Float64Array>;
  /** Free-form strings saved with the state (e.g. the optimizer config as JSON). */
  meta?: Record<string, string>;
}

/** Zeros for every state input of a step graph, step 0 (PyTorch initialises moments to zero). */
export function initOptimizerState(step: Pick<StepGraph, 'state' | 'floatType' | 'optimizer'>): OptimizerState {
  const tensors: OptimizerState['tensors'] = {};
  for (const s of step.state) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    tensors[s.name] = step.floatType === 'float64' ? new Float64Array(n) : new Float32Array(n);
  }
  return { step: 0, tensors, ...(step.optimizer ? { meta: { optimizer: JSON.stringify(step.optimizer) } } : {}) };
}

export function serializeOptimizerState(state: OptimizerState): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { ...state.meta, step: String(state.step) } };
  let offset = 0;
  const names = Object.keys(state.tensors).sort();
  for (const name of names) {
    const t = state.tensors[name]!;
    header[name] = { dtype: t instanceof Float64Array ? 'F64' : 'F32', shape: [t.length], data_offsets: [offset, offset + t.byteLength] };
    offset += t.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned (allowed padding)
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let pos = 8 + head.length;
  for (const name of names) {
    const t = state.tensors[name]!;
    out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), pos);
    pos += t.byteLength;
  }
  return out;
}

export function deserializeOptimizerState(bytes: Uint8Array): OptimizerState {
  if (bytes.length < 8) throw new Error(`deserializeOptimizerState: ${bytes.length} bytes is too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLen = Number(view.getBigUint64(0, true));
  if (8 + headLen > bytes.length) throw new Error(`deserializeOptimizerState: header length ${headLen} runs past the end (${bytes.length} bytes); the file is truncated or not safetensors`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headLen))) as Record<string, { dtype: string; data_offsets: [number, number] } | Record<string, string>>;
  const { __metadata__: metaRaw, ...entries } = header;
  const meta = { ...(metaRaw as Record<string, string> | undefined) };
  const step = Number(meta.step ?? 0);
  delete meta.step;
  const tensors: OptimizerState['tensors'] = {};
  const base = 8 + headLen;
  for (const [name, e] of Object.entries(entries) as [string, { dtype: string; data_offsets: [number, number] }][]) {
    const [a, b] = e.data_offsets;
    const raw = bytes.slice(base + a, base + b); // copy: aligned and independent of the input
    if (e.dtype === 'F32') tensors[name] = new Float32Array(raw.buffer);
    else if (e.dtype === 'F64') tensors[name] = new Float64Array(raw.buffer);
    else throw new Error(`deserializeOptimizerState: tensor "${name}" has dtype ${e.dtype}; expected F32 or F64`);
  }
  return { step, tensors, ...(Object.keys(meta).length ? { meta } : {}) };
}
