// One ONNX session in a worker thread with an async run(): the service's event loop stays free.
import { createWorkerHost } from './worker-host.ts';
import type { SessionOptions } from './session.ts';
import type { TensorData } from './types.ts';

export interface WorkerSession {
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Runs the model; returns `fetch` (default: every output) as plain tensors. */
  run(feeds: Record<string, TensorData>, fetch?: string[]): Promise<Record<string, TensorData>>;
  close(): Promise<void>;
}

export async function createWorkerSession(modelBytes: Uint8Array, options: SessionOptions = {}): Promise<WorkerSession> {
  const host = createWorkerHost();
  try {
    const { inputNames, outputNames } = await host.load('session', modelBytes, options);
    return {
      inputNames,
      outputNames,
      run: (feeds, fetch = outputNames) => host.run({ key: 'session', feeds, fetch }),
      close: () => host.close(),
    };
  } catch (e) {
    await host.close().catch(() => undefined);
    throw e;
  }
}
