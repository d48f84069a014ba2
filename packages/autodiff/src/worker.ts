// Worker-thread entry: serves a TensorHost over postMessage (see worker-host.ts for the protocol).
import { parentPort } from 'node:worker_threads';
import { createLocalHost } from './host.ts';
import type { RunRequest } from './host.ts';
import type { TensorData } from './types.ts';

export interface WorkerRequest { id: number; method: 'load' | 'setTensors' | 'getTensors' | 'run' | 'close'; args: unknown[] }
export type WorkerResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string; stack?: string };

const host = createLocalHost();
const port = parentPort;
if (!port) throw new Error('worker.ts must run inside a worker_thread (use createWorkerHost)');

port.on('message', async ({ id, method, args }: WorkerRequest) => {
  try {
    const result = await (host[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    // Hand result buffers over instead of copying them (they are fresh per run).
    // Carried outputs stay in the store, so only the others may be handed over.
    const transfer: ArrayBuffer[] = [];
    if (method === 'run') {
      const kept = new Set(((args[0] as RunRequest).carry ?? []).map(([o]) => o));
      for (const [name, t] of Object.entries(result as Record<string, TensorData>)) {
        const buf = t.data.buffer;
        if (!kept.has(name) && buf instanceof ArrayBuffer && !transfer.includes(buf)) transfer.push(buf);
      }
    }
    port.postMessage({ id, ok: true, result } satisfies WorkerResponse, transfer);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    port.postMessage({ id, ok: false, error: err.message, ...(err.stack ? { stack: err.stack } : {}) } satisfies WorkerResponse);
  }
});
