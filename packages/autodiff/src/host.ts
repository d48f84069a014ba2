// A tensor host owns sessions (one per key, e.g. per shape bucket) and a store of named tensors
// (params, optimizer state) that runs read from and write back to, so carried tensors never leave
// ORT between steps. The same host runs on the main thread or inside a worker (worker-host.ts).
import type * as ort from 'onnxruntime-node';
import { createSession, fromOrt, toOrt } from './session.ts';
import type { SessionOptions } from './session.ts';
import type { TensorData } from './types.ts';

export interface RunRequest {
  key: string;
  /** Per-run inputs (batch, scalars); other session inputs come from the store. */
  feeds: Record<string, TensorData>;
  /** [output, input]: store the output under the input's name for the next run. */
  carry?: [string, string][];
  /** Outputs to return (default: none). */
  fetch?: string[];
}

export interface SessionInfo { inputNames: string[]; outputNames: string[] }

export interface TensorHost {
  load(key: string, model: Uint8Array, options?: SessionOptions): Promise<SessionInfo>;
  setTensors(tensors: Record<string, TensorData>): Promise<void>;
  getTensors(names: string[]): Promise<Record<string, TensorData>>;
  run(request: RunRequest): Promise<Record<string, TensorData>>;
  close(): Promise<void>;
}

export function createLocalHost(): TensorHost {
  const sessions = new Map<string, ort.InferenceSession>();
  const store = new Map<string, ort.Tensor>();
  return {
    async load(key, model, options = {}) {
      let s = sessions.get(key);
      if (!s) {
        s = await createSession(model, options);
        sessions.set(key, s);
      }
      return { inputNames: [...s.inputNames], outputNames: [...s.outputNames] };
    },
    async setTensors(tensors) {
      for (const [name, t] of Object.entries(tensors)) store.set(name, toOrt(t));
    },
    async getTensors(names) {
      const out: Record<string, TensorData> = {};
      for (const n of names) {
        const t = store.get(n);
        if (!t) throw new Error(`getTensors: no tensor "${n}" is held; held: ${[...store.keys()].slice(0, 20).join(', ')}`);
        out[n] = fromOrt(t);
      }
      return out;
    },
    async run({ key, feeds, carry = [], fetch = [] }) {
      const s = sessions.get(key);
      if (!s) throw new Error(`run: no session loaded under key "${key}"; call load(key, model) first`);
      const inputs: Record<string, ort.Tensor> = {};
      const missing: string[] = [];
      for (const name of s.inputNames) {
        const given = feeds[name];
        const t = given ? toOrt(given) : store.get(name);
        if (t) inputs[name] = t;
        else missing.push(name);
      }
      if (missing.length) throw new Error(`run "${key}": inputs ${missing.join(', ')} were neither fed nor held; feed them or setTensors() them first`);
      const results = await s.run(inputs);
      for (const [o, i] of carry) {
        const t = results[o];
        if (!t) throw new Error(`run "${key}": carried output "${o}" is not an output of the session`);
        store.set(i, t);
      }
      const out: Record<string, TensorData> = {};
      for (const n of fetch) {
        const t = results[n];
        if (!t) throw new Error(`run "${key}": requested output "${n}" is not an output; outputs are ${s.outputNames.join(', ')}`);
        out[n] = fromOrt(t);
      }
      return out;
    },
    async close() {
      for (const s of sessions.values()) await s.release();
      sessions.clear();
      store.clear();
    },
  };
}
