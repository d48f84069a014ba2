/**
 * Which linear layers get a LoRA adapter and with what rank, scale and dropout: PEFT's LoraConfig
 * (peft/tuners/lora/config.py) with TRL's field names (`lora_r`, `lora_alpha`, `lora_dropout`,
 * `lora_target_modules`). Modules are found by their HF module path, so every model family whose
 * decoder routes its projections through graphs/decoder.ts `projection` gets adapters the same way.
 */
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { parameterShapes } from '../llama/params.ts';

/** The HF names of a decoder layer's linear modules (what `lora_target_modules` may list). */
export const LORA_MODULE_NAMES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraModuleName = (typeof LORA_MODULE_NAMES)[number];
/** PEFT's shorthand for every linear layer except the output layer (lm_head). */
export const ALL_LINEAR = 'all-linear';

/**
 * PEFT's default targets for the Llama family when target_modules is None
 * (peft/utils/constants.py TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING["llama"]).
 */
export const DEFAULT_LORA_TARGETS: readonly LoraModuleName[] = ['q_proj', 'v_proj'];

export interface LoraSpec {
  /** Rank r of A [r, in] and B [out, r]. */
  r: number;
  /** The update is scaled by alpha / r (PEFT, use_rslora false). */
  alpha: number;
  /** Dropout on the adapter's input only (PEFT lora_dropout); 0 = off. */
  dropout: number;
  /** Module names (`q_proj` ...) or [`all-linear`]. */
  targetModules: readonly string[];
}

/** One adapted linear module: its HF path and the shape of its weight [out, in]. */
export interface LoraTarget {
  module: string;
  inFeatures: number;
  outFeatures: number;
}

/** PEFT's LoRA scaling: alpha / r (peft/tuners/lora/layer.py update_layer, rslora off). */
export const loraScale = (spec: LoraSpec): number => spec.alpha / spec.r;

/** Throws one error naming every bad field and its valid values. */
export function validateLoraSpec(spec: LoraSpec): void {
  const problems: string[] = [];
  if (!Number.isInteger(spec.r) || spec.r < 1) problems.push(`lora_r must be an integer >= 1, got ${JSON.stringify(spec.r)}`);
  if (!(Number.isFinite(spec.alpha) && spec.alpha > 0)) problems.push(`lora_alpha must be a number > 0, got ${JSON.stringify(spec.alpha)}`);
  if (!(spec.dropout >= 0 && spec.dropout < 1)) problems.push(`lora_dropout must be in [0, 1), got ${JSON.stringify(spec.dropout)}`);
  const valid: readonly string[] = [...LORA_MODULE_NAMES, ALL_LINEAR];
  const bad = spec.targetModules.filter((m) => !valid.includes(m));
  if (spec.targetModules.length === 0) problems.push(`lora_target_modules must name at least one module; valid: ${valid.join(', ')}`);
  if (bad.length) problems.push(`lora_target_modules: ${bad.map((b) => JSON.stringify(b)).join(', ')} not valid; valid: ${valid.join(', ')}`);
  if (spec.targetModules.includes(ALL_LINEAR) && spec.targetModules.length > 1) problems.push(`lora_target_modules: '${ALL_LINEAR}' stands alone (it already covers ${LORA_MODULE_NAMES.join(', ')})`);
  if (problems.length) throw new Error(`Invalid LoRA settings:\n  - ${problems.join('\n  - ')}`);
}

/** The short module names the spec covers (all-linear expanded), in LORA_MODULE_NAMES order. */
export function targetModuleNames(spec: LoraSpec): LoraModuleName[] {
  if (spec.targetModules.includes(ALL_LINEAR)) return [...LORA_MODULE_NAMES];
  return LORA_MODULE_NAMES.filter((m) => spec.targetModules.includes(m));
}

/**
 * Every linear module of the decoder layers that the spec targets, in parameter order. PEFT matches
 * a target name against the end of the module path (`key.endswith("." + target)`); all-linear is
 * every nn.Linear but the output layer. The embedding and lm_head are never adapted.
 */
export function loraTargets(config: LlamaGraphConfig, spec: LoraSpec): LoraTarget[] {
  validateLoraSpec(spec);
  const names = new Set<string>(targetModuleNames(spec));
  const out: LoraTarget[] = [];
  for (const { name, shape } of parameterShapes(config)) {
    const m = /^(model\.layers\.\d+\.[a-z_]+\.([a-z_]+))\.weight$/.exec(name);
    if (!m || shape.length !== 2 || !names.has(m[2]!)) continue;
    out.push({ module: m[1]!, outFeatures: shape[0]!, inFeatures: shape[1]! });
  }
  if (out.length === 0) throw new Error(`lora_target_modules ${JSON.stringify(spec.targetModules)} matched no linear module of this model`);
  return out;
}

/** TRL's field names (ModelConfig: lora_r, lora_alpha, lora_dropout, lora_target_modules). */
export interface LoraArgs {
  lora_r: number;
  lora_alpha: number;
  lora_dropout: number;
  lora_target_modules: readonly string[];
}

export function loraSpecFromArgs(args: LoraArgs): LoraSpec {
  const spec = { r: args.lora_r, alpha: args.lora_alpha, dropout: args.lora_dropout, targetModules: [...args.lora_target_modules] };
  validateLoraSpec(spec);
  return spec;
}
