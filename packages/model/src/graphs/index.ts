export { buildGenerationModel, buildGenerationModelFiles, EXTERNAL_DATA_FILE } from './generation.ts';
export type { GenerationModelFiles, GenerationModelOptions } from './generation.ts';
export { buildLogprobGraph, declareTokenBatch, sequenceLogps } from './sequence-logps.ts';
export type { LogprobGraphOptions, SequenceLogps, TokenBatch } from './sequence-logps.ts';
export {
  buildPreferenceTrainStep,
  buildSftTrainStep,
  buildSingleResponseSppoTrainStep,
  preferenceLossBuild,
  sftLossBuild,
  singleResponseSppoLossBuild,
} from './train-steps.ts';
export type {
  GraphBucketOptions,
  LossBuild,
  PreferenceLossBuildOptions,
  PreferenceTrainStepOptions,
  SingleResponseSppoLossBuildOptions,
  SingleResponseSppoTrainStepOptions,
  TrainStepCommon,
} from './train-steps.ts';
export { PREFERENCE_LOSS_TYPES, preferenceLoss, probabilityInputsFor, sftLoss, singleResponseSppoLoss } from './losses.ts';
export type { LossGraph, PreferenceExtras, PreferenceLossOptions, PreferenceLossType } from './losses.ts';
export { declareParams, llamaDecoder, positionIdsFromMaskGraph } from './decoder.ts';
export type { DecoderInputs, DecoderOutputs, LayerCache, ParamTensors } from './decoder.ts';
export { attachWeights, PROTOBUF_LIMIT } from './onnx-weights.ts';
export type { AttachedModel, WeightTensor } from './onnx-weights.ts';
export { checkWeights, headDim, parameterCount, parameterShapes, validateGraphConfig } from '../llama/params.ts';
export type { LlamaWeights, ParameterShape } from '../llama/params.ts';
export {
  ATTENTION_MASK_VALUE,
  logSoftmaxAt,
  positionIdsFromMask,
  referenceLogits,
  referenceSequenceLogps,
} from '../llama/reference.ts';
export type { ReferenceForwardInput, ReferenceLogpsInput } from '../llama/reference.ts';
export type { LlamaGraphConfig } from '../llama/config-types.ts';
