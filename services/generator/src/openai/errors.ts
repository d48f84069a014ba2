/**
 * Errors in OpenAI's shape, `{ error: { message, type, param, code } }`, so OpenAI clients (and
 * vLLM's) show them as they would the real API's: 400 invalid_request_error for a bad request,
 * 404 for an unknown model, 500 server_error for our own failures.
 */
import { isSamplingError } from '@sppo/model';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class OpenAiHttpError extends Error {
  override name = 'OpenAiHttpError';
  readonly status: 400 | 404 | 500;
  readonly body: OpenAiErrorBody;
  constructor(status: 400 | 404 | 500, message: string, { type = status === 500 ? 'server_error' : 'invalid_request_error', param = null, code = null }: { type?: string; param?: string | null; code?: string | null } = {}) {
    super(message);
    this.status = status;
    this.body = { error: { message, type, param, code } };
  }
}

/** Maps an engine error to its HTTP answer: user mistakes are 400s, the rest 500s. */
export function toOpenAiError(error: unknown): OpenAiHttpError {
  if (error instanceof OpenAiHttpError) return error;
  if (isSamplingError(error) && error.userError) {
    return new OpenAiHttpError(400, error.message, { param: error.param ?? null, code: error.code });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new OpenAiHttpError(500, `The server had an error while processing your request: ${message}`, { code: 'internal_error' });
}
