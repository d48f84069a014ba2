export { llamaConfigToJson, MODEL_TYPES, parseLlamaConfig, TORCH_DTYPES, TRANSFORMERS_VERSION } from './config.ts';
export type { LayerType, LlamaConfig, ModelType, RopeScaling } from './config.ts';
export { architectureOf, ropeSpec } from './llama/architecture.ts';
export { SHAPE_FIELDS } from './llama/params.ts';
export type { Activation, Architecture, RopeSpec } from './llama/architecture.ts';
export { countParameters, numel, parameterNames, parameterSpecs } from './parameters.ts';
export type { ParameterInit, ParameterSpec } from './parameters.ts';
export { PRESET_NAMES, presetConfig, presetConfigForTokenizer } from './presets.ts';
export type { PresetName, PresetOptions } from './presets.ts';
export { readSafetensors, readSafetensorsF64, readSafetensorsHeader, roundToDtype, writeSafetensors } from './safetensors.ts';
export type {
  ReadSafetensorsResult,
  SafetensorsDtype,
  SafetensorsEntry,
  SafetensorsHeader,
  SafetensorsTensor,
  WritableDtype,
} from './safetensors.ts';
export { createRng, hashString } from './rng.ts';
export type { Rng } from './rng.ts';
export { initializeWeights } from './init.ts';
export type { InitializeWeightsOptions } from './init.ts';
export {
  BYTE_LEVEL_PATTERN,
  BYTE_TO_CHAR,
  DEFAULT_SPECIAL_TOKENS,
  JUDGE_SPECIAL_TOKENS,
  trainBpeTokenizer,
} from './tokenizer-train.ts';
export type { SpecialTokensSpec, TrainBpeOptions, TrainedTokenizer } from './tokenizer-train.ts';
export { buildTokenizerConfig, chatTemplateOf, specialTokenText } from './tokenizer-files.ts';
export type {
  AddedTokenJson,
  BuildTokenizerConfigOptions,
  SpecialTokenValue,
  TokenizerConfig,
  TokenizerJson,
} from './tokenizer-files.ts';
export { createTokenizer, loadTokenizer } from './tokenizer.ts';
export type { DecodeOptions, EncodeOptions, LoadedTokenizer } from './tokenizer.ts';
export { endOfTurnToken, stopTokenIds } from './tokenizer-stops.ts';
export type { EndOfTurn } from './tokenizer-stops.ts';
export {
  DEFAULT_CHAT_TEMPLATE,
  END_OF_TURN_TOKEN,
  promptMessages,
  renderChat,
  splitPromptAndResponse,
} from './chat-template.ts';
export type { ChatMessage, PromptResponseSplit, RenderChatOptions } from './chat-template.ts';
export {
  CheckpointExistsError,
  COMPLETE_MARKER,
  isCheckpointComplete,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint.ts';
export type {
  Checkpoint,
  CheckpointInput,
  CompleteMarker,
  ReadCheckpointOptions,
  WriteCheckpointOptions,
} from './checkpoint.ts';
export { defaultGenerationConfig } from './generation-config.ts';
export type { GenerationConfig, GenerationConfigOptions } from './generation-config.ts';
export { readCheckpointWeights, roundWeightsToDtype, safetensorsDtypeOf, serializeWeights } from './checkpoint-weights.ts';
export type { CheckpointWeights } from './checkpoint-weights.ts';
export { bucketLength, collateSequences, tokenizeRow, truncatePromptAndResponses } from './tokenize.ts';
export type {
  BucketOptions,
  CollateOptions,
  SequenceBatch,
  SequenceInput,
  TokenizeRowOptions,
  TruncatedRow,
  TruncationOptions,
} from './tokenize.ts';
export { syntheticCorpus } from './synthetic-corpus.ts';
export type { SyntheticCorpusOptions } from './synthetic-corpus.ts';
export * from './graphs/index.ts';
export * from './scoring/index.ts';
export * from './sampling/index.ts';
export * from './training/index.ts';
export * from './pairwise/index.ts';
export * from './lora/index.ts';
