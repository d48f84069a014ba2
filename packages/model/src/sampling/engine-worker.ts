// Worker-thread entry of createWorkerSamplingEngine: one engine per thread, so session.run (which
// blocks its thread for the whole step) never stalls the service's event loop and its heartbeats.
import { parentPort } from 'node:worker_threads';
import { createSamplingEngine, type SamplingEngine, type TextDelta } from './engine.ts';
import type { EngineRequest, EngineResponse } from './worker-protocol.ts';
import { serializeError } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('engine-worker.ts must run inside a worker_thread (use createWorkerSamplingEngine)');
let engine: SamplingEngine | undefined;

port.on('message', async (request: EngineRequest) => {
  const reply = (response: EngineResponse): void => port.postMessage(response);
  try {
    if (request.method === 'open') {
      engine = await createSamplingEngine(request.options);
      reply({ id: request.id, ok: true, result: engine.info });
    } else if (request.method === 'generate') {
      if (!engine) throw new Error('the engine is not open');
      const results = await engine.generate(request.rows, request.params, {
        onProgress: (progress) => reply({ id: request.id, progress }),
        ...(request.rowNumbers === undefined ? {} : { rowNumbers: request.rowNumbers }),
        ...(request.streamText ? { onText: (text: TextDelta[]) => reply({ id: request.id, text }) } : {}),
      });
      reply({ id: request.id, ok: true, result: results });
    } else {
      await engine?.close();
      reply({ id: request.id, ok: true, result: null });
    }
  } catch (error) {
    reply({ id: request.id, ok: false, error: serializeError(error) });
  }
});
