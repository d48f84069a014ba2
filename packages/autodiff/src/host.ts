// A tensor host owns sessions (one per key, e.g. per shape bucket) and a store of named tensors
// (params, optimizer state) that runs read from and write back to, so carried tensors never leave
// ORT between steps. The same host runs on the main thread or inside a worker (worker-host.ts).
import * as ort from 'onnxruntime-node';
import { createSession, fromOrt, toOrt } from './session.ts';
import type { SessionOptions } from './session.ts';
import type { AnyTypedArray, TensorData } from './types.ts';

export interface RunRequest {
  key: string;
  /** Per-run inputs (batch, scalars); other session inputs come from the store. */
  feeds: Record<string, TensorData>;
  /** [output, input]: store the output under the input's name for the next run. */
  carry?: [string, string][];
  /** Outputs to return (default: none). */
  fetch?: string[];
  /**
   * The graph reads every carried input before it writes the matching output (StepGraph
   * carryInPlace), so ORT may write each output straight into its input's buffer: one copy of the
   * carried tensors instead of two sets used in turn.
   */
  inPlace?: boolean;
}

export interface SessionInfo { inputNames: string[]; outputNames: string[] }

export interface TensorHost {
  load(key: string, model: Uint8Array, options?: SessionOptions): Promise<SessionInfo>;
  setTensors(tensors: Record<string, TensorData>): Promise<void>;
  getTensors(names: string[]): Promise<Record<string, TensorData>>;
  run(request: RunRequest): Promise<Record<string, TensorData>>;
  close(): Promise<void>;
}

/**
 * Carried outputs (next params and optimizer state) are written by ORT into buffers the host owns:
 * into the input's own buffer when the run says the graph allows it (RunRequest.inPlace), else
 * into two sets of preallocated tensors, used in turn, as the sampling decoder does for its KV
 * cache. Either way there is no fresh params-sized allocation, page faults and copy into a new JS
 * buffer per output per step (ENGINE-NOTES profile: -7% of a 3M step). The two sets are keyed by
 * output name and shared by every session of the host (shape buckets carry the same params), so
 * they cost two copies of the carried tensors however many buckets there are. A run writes into
 * the set that none of its inputs live in, so inputs and outputs never alias, whatever order the
 * buckets run in.
 */
export function createLocalHost(): TensorHost {
  const sessions = new Map<string, ort.InferenceSession>();
  const store = new Map<string, ort.Tensor>();
  const outputSets: [Map<string, ort.Tensor>, Map<string, ort.Tensor>] = [new Map(), new Map()];
  /** Sessions for which ORT refused a preallocated output: they use ORT's own outputs. */
  const ortAllocates = new Set<string>();
  /** Tensors whose buffers a later run overwrites: handed out only as copies. */
  const pooled = new WeakSet<ort.Tensor>();
  const exported = (t: ort.Tensor): TensorData => {
    const d = fromOrt(t);
    return pooled.has(t) ? { ...d, data: d.data.slice() } : d;
  };

  /** A host-owned copy of `t` (the caller's own arrays are never written). */
  const ownedCopy = (t: ort.Tensor): ort.Tensor => {
    const copy = new ort.Tensor(t.type as 'float32', (t.data as Float32Array).slice(), t.dims);
    pooled.add(copy);
    return copy;
  };

  /** Preallocated outputs for this run's carried outputs, or undefined to let ORT allocate. */
  const carriedFetches = (key: string, inputs: Record<string, ort.Tensor>, carry: [string, string][], inPlace: boolean): Map<string, ort.Tensor> | undefined => {
    if (ortAllocates.has(key) || carry.length === 0) return undefined;
    if (inPlace) {
      const result = new Map<string, ort.Tensor>();
      for (const [o, i] of carry) {
        const t = inputs[i];
        if (!t) return undefined;
        // Owned tensors are written in place; a caller's array is copied once, the first time.
        const own = pooled.has(t) ? t : ownedCopy(t);
        inputs[i] = own;
        result.set(o, own);
      }
      return result;
    }
    const inUse = (set: Map<string, ort.Tensor>): boolean => carry.some(([o, i]) => set.get(o) !== undefined && set.get(o) === inputs[i]);
    const set = inUse(outputSets[0]) ? outputSets[1] : outputSets[0];
    if (inUse(set)) return undefined; // inputs from both sets (sessions carrying different subsets)
    const result = new Map<string, ort.Tensor>();
    for (const [o, i] of carry) {
      const like = inputs[i];
      if (!like) return undefined; // the carried input is not an input of this session
      let t = set.get(o);
      if (!t || t.type !== like.type || t.dims.join() !== like.dims.join()) {
        const Ctor = (like.data as unknown as { constructor: new (n: number) => AnyTypedArray }).constructor;
        t = new ort.Tensor(like.type as 'float32', new Ctor(like.size) as Float32Array, like.dims);
        pooled.add(t);
        set.set(o, t);
      }
      result.set(o, t);
    }
    return result;
  };
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
        out[n] = exported(t);
      }
      return out;
    },
    async run({ key, feeds, carry = [], fetch = [], inPlace = false }) {
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
      const preallocated = carriedFetches(key, inputs, carry, inPlace);
      let results: ort.InferenceSession.OnnxValueMapType;
      if (preallocated) {
        const fetches: Record<string, ort.Tensor | null> = Object.fromEntries(preallocated);
        for (const n of fetch) if (!(n in fetches)) fetches[n] = null;
        try {
          results = await s.run(inputs, fetches);
        } catch {
          // An export whose output shape differs from its carried input's: ORT refuses the
          // buffer. Retry with ORT's own outputs, for good on this session.
          ortAllocates.add(key);
          results = await s.run(inputs);
        }
      } else results = await s.run(inputs);
      for (const [o, i] of carry) {
        const t = results[o];
        if (!t) throw new Error(`run "${key}": carried output "${o}" is not an output of the session`);
        store.set(i, t);
      }
      const out: Record<string, TensorData> = {};
      for (const n of fetch) {
        const t = results[n];
        if (!t) throw new Error(`run "${key}": requested output "${n}" is not an output; outputs are ${s.outputNames.join(', ')}`);
        out[n] = exported(t);
      }
      return out;
    },
    async close() {
      for (const s of sessions.values()) await s.release();
      sessions.clear();
      store.clear();
      for (const set of outputSets) set.clear();
      ortAllocates.clear();
    },
  };
}
