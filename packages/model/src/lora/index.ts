export { bf16BaseNames, declareLoraParams, loraDelta } from './graph.ts';
export type { LoraGraphOptions } from './graph.ts';
export { mergeLora } from './merge.ts';
export { initLoraWeights, loraAName, loraBName, loraParameterShapes } from './params.ts';
export type { LoraParameterShape, LoraWeights } from './params.ts';
export { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, PEFT_KEY_PREFIX, peftAdapterConfig, readPeftAdapter, writePeftAdapter } from './peft.ts';
export type { PeftAdapter } from './peft.ts';
export { ALL_LINEAR, DEFAULT_LORA_TARGETS, LORA_MODULE_NAMES, loraScale, loraSpecFromArgs, loraTargets, targetModuleNames, validateLoraSpec } from './spec.ts';
export type { LoraArgs, LoraModuleName, LoraSpec, LoraTarget } from './spec.ts';
