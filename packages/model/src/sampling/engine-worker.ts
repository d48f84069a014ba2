// Worker-thread entry of createWorkerSamplingEngine: one engine per thread, so session.run (which
// blocks its thread for the whole step) never stalls the service's event loop and its heartbeats.
import { parentPort } from 'node:worker_threads';
import { createSamplingEngine, type SamplingEngine, type TextDelta } from './engine.ts';
import type { EngineRequest, EngineResponse } from './worker-protocol.ts';
import { serializeError } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('engine-worker.ts must run inside a worker_thread (use createWorkerSamplingEngine)');
let engine: SamplingEngine | undefined;
/** The generate calls in flight, by request id, for 'cancel'. */
const inFlight = new Map<number, AbortController>();

port.on('message', async (request: EngineRequest) => {
  const reply = (response: EngineResponse): void => port.postMessage(response);
  try {
    if (request.method === 'open') {
      engine = await createSamplingEngine(request.options);
      reply({ id: request.id, ok: true, result: engine.info });
    } else if (request.method === 'generate') {
      if (!engine) throw new Error('the engine is not open');
      const controller = new AbortController();
      inFlight.set(request.id, controller);
      try {
        const results = await engine.generate(request.rows, request.params, {
          onProgress: (progress) => reply({ id: request.id, progress }),
          ...(request.rowNumbers === undefined ? {} : { rowNumbers: request.rowNumbers }),
          ...(request.streamText ? { onText: (text: TextDelta[]) => reply({ id: request.id, text }) } : {}),
          signal: controller.signal,
        });
        reply({ id: request.id, ok: true, result: results });
      } finally {
        inFlight.delete(request.id);
      }
    } else if (request.method === 'cancel') {
      // The caller already rejected its promise; this frees the rows' batch slots.
      inFlight.get(request.call)?.abort();
    } else {
      await engine?.close();
      reply({ id: request.id, ok: true, result: null });
    }
  } catch (error) {
    reply({ id: request.id, ok: false, error: serializeError(error) });
  }
});
