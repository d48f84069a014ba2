export { collateStep, epochPermutation, rowsForStep, scoredSequences } from './batches.ts';
export type { Bucket, CollateStepOptions, StepBatch, StepRows } from './batches.ts';
export { tokenizeForTraining, tokenizePairExamples, tokenizeResponseExamples, tokenizeSftExamples } from './examples.ts';
export type {
  PairTokens,
  ResponseTokens,
  SftTokens,
  TokenizeArgs,
  TokenizeExamplesOptions,
  TrainingData,
  TruncationStats,
} from './examples.ts';
export { TrainingDivergedError, trainingFingerprint, trainPolicy } from './loop.ts';
export type { TrainPolicyOptions, TrainPolicyResult } from './loop.ts';
export { formatProgressLine, summarize } from './metrics.ts';
export type { SummaryOptions } from './metrics.ts';
export { ADAPTER_DIR, writeTrainedCheckpoint } from './output.ts';
export type { TrainedCheckpointInput } from './output.ts';
export { parseJsonLines, parseTripletJsonl, parseTripletObjects, preparePreferenceData, prepareSftData } from './prepare.ts';
export type { PreparedData } from './prepare.ts';
export { isTrainingPresetName, resolveTrainingArgs, TRAINING_PRESET_NAMES, TRAINING_PRESETS, trainingPreset } from './presets.ts';
export type { TrainingPresetName } from './presets.ts';
export { preferenceExamplesFromTriplets, sftExamplesFromRows } from './rows.ts';
export type { PairTextExample, PreferenceTextData, ResponseTextExample, SftTextExample, TextPrompt } from './rows.ts';
export { deserializeTrainState, readTrainStateIndex, serializeTrainState, TRAIN_STATE_FILE } from './state.ts';
export type { LogEntry, TrainState } from './state.ts';
export { buildGradientGraph, buildStepGraph, optimizerFromArgs, responseSppoLossBuild } from './steps.ts';
export type { StepArgs, StepGraphOptions } from './steps.ts';
