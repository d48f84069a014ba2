/**
 * The adapter in PEFT's on-disk format, as `PeftModel.save_pretrained` writes it and
 * `PeftModel.from_pretrained` reads it: `adapter_config.json` (LoraConfig's fields) and
 * `adapter_model.safetensors` with keys `base_model.model.<module>.lora_A.weight` /
 * `.lora_B.weight` (peft/utils/save_and_load.py get_peft_model_state_dict drops the adapter name).
 */
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { readSafetensors, writeSafetensors } from '../safetensors.ts';
import { loraParameterShapes, type LoraWeights } from './params.ts';
import { ALL_LINEAR, loraTargets, targetModuleNames, validateLoraSpec, type LoraSpec } from './spec.ts';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
/** PEFT's prefix of a causal LM's state-dict keys (PeftModelForCausalLM.base_model.model). */
export const PEFT_KEY_PREFIX = 'base_model.model.';

/** adapter_config.json: the LoraConfig fields PEFT writes (defaults where we have no setting). */
export function peftAdapterConfig(spec: LoraSpec, { baseModelNameOrPath = null }: { baseModelNameOrPath?: string | null } = {}): Record<string, unknown> {
  validateLoraSpec(spec);
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModelNameOrPath,
    revision: null,
    inference_mode: true,
    r: spec.r,
    lora_alpha: spec.alpha,
    lora_dropout: spec.dropout,
    // PEFT saves all-linear resolved to the module names it matched (tuners_utils _maybe_include_all_linear_layers).
    target_modules: targetModuleNames(spec),
    exclude_modules: null,
    bias: 'none',
    fan_in_fan_out: false,
    use_rslora: false,
    use_dora: false,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
  };
}

/** The two files of a PEFT adapter folder, by name. */
export function writePeftAdapter(config: LlamaGraphConfig, spec: LoraSpec, weights: LoraWeights, options: { baseModelNameOrPath?: string | null } = {}): Record<string, Uint8Array | string> {
  const shapes = loraParameterShapes(loraTargets(config, spec), spec.r);
  const tensors: [string, { shape: number[]; data: Float32Array }][] = shapes.map(({ name, shape }) => {
    const data = weights.get(name);
    if (!data || data.length !== shape[0] * shape[1]) throw new Error(`writePeftAdapter: adapter tensor ${name} [${shape.join(', ')}] is ${data ? `${data.length} values` : 'missing'}`);
    return [PEFT_KEY_PREFIX + name, { shape, data }];
  });
  return {
    [ADAPTER_CONFIG_FILE]: `${JSON.stringify(peftAdapterConfig(spec, options), null, 2)}\n`,
    [ADAPTER_WEIGHTS_FILE]: writeSafetensors(tensors),
  };
}

export interface PeftAdapter {
  spec: LoraSpec;
  weights: LoraWeights;
  baseModelNameOrPath: string | null;
}

/** Reads a PEFT LoRA adapter for `config`; every problem (fields, missing or mis-shaped keys) named. */
export function readPeftAdapter(config: LlamaGraphConfig, files: { config: string; weights: Uint8Array }, source = 'adapter'): PeftAdapter {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(files.config) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${source}: ${ADAPTER_CONFIG_FILE} is not valid JSON: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  if (raw.peft_type !== 'LORA') problems.push(`peft_type must be "LORA", got ${JSON.stringify(raw.peft_type)}`);
  for (const [k, want] of [['use_dora', false], ['use_rslora', false], ['fan_in_fan_out', false]] as const) {
    if (raw[k] !== undefined && raw[k] !== want) problems.push(`${k} must be ${want} (not supported), got ${JSON.stringify(raw[k])}`);
  }
  if (raw.bias !== undefined && raw.bias !== 'none') problems.push(`bias must be "none" (not supported), got ${JSON.stringify(raw.bias)}`);
  for (const k of ['rank_pattern', 'alpha_pattern'] as const) {
    if (raw[k] !== undefined && raw[k] !== null && Object.keys(raw[k] as object).length > 0) problems.push(`${k} must be empty (per-module ranks are not supported)`);
  }
  const tm = raw.target_modules;
  const targetModules = typeof tm === 'string' ? [tm] : Array.isArray(tm) ? (tm as string[]) : [];
  if (targetModules.length === 0) problems.push(`target_modules must be a list of module names or "${ALL_LINEAR}", got ${JSON.stringify(tm)}`);
  if (problems.length) throw new Error(`${source}: ${ADAPTER_CONFIG_FILE} cannot be used:\n  - ${problems.join('\n  - ')}`);
  const spec: LoraSpec = { r: raw.r as number, alpha: raw.lora_alpha as number, dropout: (raw.lora_dropout as number | undefined) ?? 0, targetModules };
  const shapes = loraParameterShapes(loraTargets(config, spec), spec.r);
  const { tensors } = readSafetensors(files.weights, `${source}/${ADAPTER_WEIGHTS_FILE}`);
  const weights: LoraWeights = new Map();
  for (const { name, shape } of shapes) {
    const t = tensors.get(PEFT_KEY_PREFIX + name);
    if (!t) problems.push(`missing ${PEFT_KEY_PREFIX + name} [${shape.join(', ')}]`);
    else if (t.shape.join() !== shape.join()) problems.push(`${PEFT_KEY_PREFIX + name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    else weights.set(name, t.data);
  }
  if (problems.length) throw new Error(`${source}: ${ADAPTER_WEIGHTS_FILE} does not fit this model:\n  - ${problems.join('\n  - ')}`);
  return { spec, weights, baseModelNameOrPath: typeof raw.base_model_name_or_path === 'string' ? raw.base_model_name_or_path : null };
}
