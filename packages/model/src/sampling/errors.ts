/**
 * Errors of the sampling engine. `code` tells callers (the OpenAI endpoint, the queue handler, the
 * CLI) what went wrong without string matching; `param` names the offending request field.
 */
import { SppoError } from '@sppo/core';

export const SAMPLING_ERROR_CODES = [
  /** A sampling parameter is out of range (user error). */
  'invalid_params',
  /** A prompt does not fit the model's context window (user error). */
  'context_length_exceeded',
  /** A prompt is empty or not valid token ids (user error). */
  'invalid_prompt',
  /** The model folder or its ONNX graph is missing or not a decoder-with-past model (user error). */
  'invalid_model',
  /** The engine was closed or its worker thread died (internal). */
  'engine_closed',
  /** The caller cancelled the call (its AbortSignal fired, e.g. an HTTP client went away). */
  'cancelled',
] as const;
export type SamplingErrorCode = (typeof SAMPLING_ERROR_CODES)[number];

export class SamplingError extends SppoError {
  readonly code: SamplingErrorCode;
  /** The request field at fault (OpenAI's `param`), when one is. */
  readonly param: string | undefined;
  constructor(code: SamplingErrorCode, message: string, { param, cause }: { param?: string; cause?: unknown } = {}) {
    super(message, { userError: code !== 'engine_closed', cause });
    this.code = code;
    this.param = param;
  }
}

export function isSamplingError(error: unknown): error is SamplingError {
  return error instanceof SamplingError;
}
