// The TensorHost in a worker_thread: session.run blocks its thread for the whole run, so training
// belongs off the main thread (ENGINE-NOTES); only batches go in and only fetched outputs come back.
import { Worker } from 'node:worker_threads';
import type { RunRequest, SessionInfo, TensorHost } from './host.ts';
import type { SessionOptions } from './session.ts';
import type { TensorData } from './types.ts';
import type { WorkerRequest, WorkerResponse } from './worker.ts';

export function createWorkerHost(): TensorHost {
  const worker = new Worker(new URL('./worker.ts', import.meta.url));
  worker.unref(); // an idle host never keeps the process alive
  let nextId = 0;
  let failed: Error | undefined;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const failAll = (e: Error): void => {
    failed = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (m: WorkerResponse) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.ok) p.resolve(m.result);
    else {
      const err = new Error(m.error);
      if (m.stack) err.stack = `${m.stack}\n    (in worker thread)`;
      p.reject(err);
    }
  });
  worker.on('error', (e) => failAll(new Error(`autodiff worker thread crashed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new Error(`autodiff worker thread exited (code ${code})`)));

  const call = <T>(method: WorkerRequest['method'], ...args: unknown[]): Promise<T> => {
    if (failed) return Promise.reject(failed);
    return new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref(); // keep the process alive while a call is in flight
      worker.postMessage({ id, method, args } satisfies WorkerRequest);
    });
  };
  return {
    load: (key: string, model: Uint8Array, options: SessionOptions = {}) => call<SessionInfo>('load', key, model, options),
    setTensors: (tensors: Record<string, TensorData>) => call<void>('setTensors', tensors),
    getTensors: (names: string[]) => call<Record<string, TensorData>>('getTensors', names),
    run: (request: RunRequest) => call<Record<string, TensorData>>('run', request),
    async close() {
      if (failed) return;
      await call<void>('close');
      await worker.terminate();
    },
  };
}
