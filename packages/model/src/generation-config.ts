/**
 * generation_config.json as transformers' `GenerationConfig.save_pretrained` writes it; the
 * generator reads its stop ids and sampling defaults from here, like transformers.js does.
 */
import type { LlamaConfig } from './config.ts';

export interface GenerationConfig {
  bos_token_id: number;
  eos_token_id: number | number[];
  pad_token_id?: number;
  do_sample: boolean;
  temperature: number;
  top_p: number;
  top_k?: number;
  max_new_tokens?: number;
  [key: string]: unknown;
}

export interface GenerationConfigOptions {
  doSample?: boolean;
  /** The official SPPO sampling settings (SPPO-REFERENCE 2.2 step 4). */
  temperature?: number;
  topP?: number;
}

/** generation_config.json from a model config: stop on any of its eos ids, sample at T 0.7 / top-p 0.9. */
export function defaultGenerationConfig(
  config: LlamaConfig,
  { doSample = true, temperature = 0.7, topP = 0.9 }: GenerationConfigOptions = {},
): GenerationConfig {
  const g: GenerationConfig = {
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    do_sample: doSample,
    temperature,
    top_p: topP,
  };
  if (config.pad_token_id !== undefined) g.pad_token_id = config.pad_token_id;
  return g;
}
