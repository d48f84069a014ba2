/**
 * Where generation tasks get their samples from (run config `generation_backend`):
 * - 'onnx': the embedded sampler of @sppo/model on the round's checkpoint (model.onnx);
 * - 'openai': any OpenAI-compatible completions server (vLLM, TGI, SGLang, or our own endpoint),
 *   see openai-backend.ts.
 * Both take templated prompt texts with one seed per sample and return text, finish reason and
 * the number of generated tokens.
 */
import type { FinishReason, SamplingEngine, SamplingParamsInput } from '@sppo/model';

export interface BackendRow {
  /** The templated prompt text (it already holds the BOS text, so no special tokens are added). */
  prompt: string;
  seed: number;
}

export interface BackendResult {
  text: string;
  finishReason: FinishReason;
  completionTokens: number;
}

export interface GenerationBackend {
  readonly kind: 'onnx' | 'openai';
  generate(rows: readonly BackendRow[], params: SamplingParamsInput, onProgress?: (done: number, total: number) => void): Promise<BackendResult[]>;
}

export function engineBackend(engine: SamplingEngine): GenerationBackend {
  return {
    kind: 'onnx',
    async generate(rows, params, onProgress) {
      const results = await engine.generate(
        rows.map((r) => ({ prompt: r.prompt, seed: r.seed })),
        params,
        onProgress ? { onProgress: (p) => onProgress(p.done, p.total) } : {},
      );
      return results.map((r) => ({ text: r.text, finishReason: r.finishReason, completionTokens: r.completionTokens }));
    },
  };
}
