/**
 * The sampling engine in a worker thread, behind the same SamplingEngine interface. The whole
 * decoding loop runs there, so the KV cache never crosses threads (autodiff's createWorkerSession
 * would copy every layer's past and present through postMessage on each step); only prompts go in
 * and texts come out.
 */
import { Worker } from 'node:worker_threads';
import type { GenerateOptions, ModelInfo, SampleResult, SamplingEngine, SamplingEngineOptions } from './engine.ts';
import { SamplingError } from './errors.ts';
import { deserializeError, type EngineRequest, type EngineResponse } from './worker-protocol.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; options?: GenerateOptions };

export async function createWorkerSamplingEngine(options: SamplingEngineOptions): Promise<SamplingEngine> {
  const worker = new Worker(new URL('./engine-worker.ts', import.meta.url));
  worker.unref(); // an idle engine never keeps the process alive
  let nextId = 0;
  let failed: Error | undefined;
  let closed = false;
  const pending = new Map<number, Pending>();
  const failAll = (e: Error): void => {
    failed ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (m: EngineResponse) => {
    const p = pending.get(m.id);
    if (!p) return;
    if ('progress' in m) {
      p.options?.onProgress?.(m.progress);
      return;
    }
    if ('text' in m) {
      p.options?.onText?.(m.text);
      return;
    }
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.ok) p.resolve(m.result);
    else p.reject(deserializeError(m.error));
  });
  worker.on('error', (e) => failAll(new SamplingError('engine_closed', `the sampling worker thread crashed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new SamplingError('engine_closed', `the sampling worker thread exited (code ${code})`)));

  const call = <T>(request: DistributiveOmit<EngineRequest, 'id'>, callOptions?: GenerateOptions): Promise<T> => {
    if (failed) return Promise.reject(failed);
    return new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(callOptions ? { options: callOptions } : {}) });
      worker.ref(); // keep the process alive while a call is in flight
      worker.postMessage({ ...request, id } as EngineRequest);
    });
  };

  let info: ModelInfo;
  try {
    info = await call<ModelInfo>({ method: 'open', options });
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  return {
    info,
    generate(rows, params = {}, generateOptions = {}) {
      if (closed) return Promise.reject(new SamplingError('engine_closed', 'the sampling engine is closed'));
      const { rowNumbers, onText, signal } = generateOptions;
      if (signal?.aborted) return Promise.reject(new SamplingError('cancelled', 'the generate call was cancelled by its caller'));
      const id = nextId + 1; // the id `call` gives this request
      const result = call<SampleResult[]>(
        { method: 'generate', rows, params, ...(rowNumbers === undefined ? {} : { rowNumbers }), ...(onText === undefined ? {} : { streamText: true }) },
        generateOptions,
      );
      if (signal === undefined) return result;
      const cancel = (): void => {
        const p = pending.get(id);
        if (p === undefined) return;
        pending.delete(id);
        if (pending.size === 0) worker.unref();
        worker.postMessage({ id: ++nextId, method: 'cancel', call: id } as EngineRequest);
        p.reject(new SamplingError('cancelled', 'the generate call was cancelled by its caller'));
      };
      signal.addEventListener('abort', cancel, { once: true });
      return result.finally(() => signal.removeEventListener('abort', cancel));
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!failed) await call<null>({ method: 'close' }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
