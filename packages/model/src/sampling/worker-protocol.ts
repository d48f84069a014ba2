// Messages between createWorkerSamplingEngine and engine-worker.ts. Errors cross the thread as
// plain objects and are rebuilt as SamplingError when they were one, so callers can still map
// `code` to an HTTP status or a failure record.
import type { GenerateProgress, ModelInfo, SampleResult, SampleRow, SamplingEngineOptions, TextDelta } from './engine.ts';
import { SamplingError, SAMPLING_ERROR_CODES, type SamplingErrorCode } from './errors.ts';
import type { SamplingParamsInput } from './params.ts';

export type EngineRequest =
  | { id: number; method: 'open'; options: SamplingEngineOptions }
  | { id: number; method: 'generate'; rows: readonly SampleRow[]; params: SamplingParamsInput; rowNumbers?: readonly number[]; streamText?: boolean }
  | { id: number; method: 'cancel'; call: number }
  | { id: number; method: 'close' };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  param?: string;
}

export type EngineResponse =
  | { id: number; ok: true; result: ModelInfo | SampleResult[] | null }
  | { id: number; ok: false; error: SerializedError }
  | { id: number; progress: GenerateProgress }
  | { id: number; text: TextDelta[] };

export function serializeError(error: unknown): SerializedError {
  const e = error instanceof Error ? error : new Error(String(error));
  const out: SerializedError = { name: e.name, message: e.message };
  if (e.stack !== undefined) out.stack = e.stack;
  if (error instanceof SamplingError) {
    out.code = error.code;
    if (error.param !== undefined) out.param = error.param;
  }
  return out;
}

export function deserializeError(s: SerializedError): Error {
  const known = SAMPLING_ERROR_CODES as readonly string[];
  const error =
    s.code !== undefined && known.includes(s.code)
      ? new SamplingError(s.code as SamplingErrorCode, s.message, s.param === undefined ? {} : { param: s.param })
      : Object.assign(new Error(s.message), { name: s.name });
  if (s.stack !== undefined) error.stack = `${s.stack}\n    (in the sampling worker thread)`;
  return error;
}
