// Public API of the pairwise judges (PairRM contract, mini-PairRM, rule judges). Only re-exports.
export type { PairwiseExample, PairwiseJudge } from './types.ts';
export { createLengthJudge, createRewardJudge, createRpsJudge, createRuleJudge, isRuleJudgeName, RPS_STYLES, RULE_JUDGE_NAMES, rpsOutcome, rpsStyleOf } from './rule-judges.ts';
export type { LengthJudgeOptions, RewardJudgeOptions, RpsJudgeOptions, RpsStyle, RuleJudgeName } from './rule-judges.ts';
export { compareAllPairs, orderedPairs } from './all-pairs.ts';
export type { PromptResponses } from './all-pairs.ts';
export {
  collatePairwiseInputs,
  createPairRMInputBuilder,
  PAIRRM_MARKERS,
  PAIRRM_MAX_CANDIDATE_TOKENS,
  PAIRRM_MAX_SOURCE_TOKENS,
  resolvePairRMTokens,
} from './inputs.ts';
export type { PairRMInputBuilder, PairRMInputOptions, PairRMTokenIds, PairRMTokens, PairwiseBatch, PairwiseInput, PairwiseTokenizer, ResolveTokensInput } from './inputs.ts';
export { checkPairwiseWeights, MINI_PAIRRM_MODEL_TYPE, miniPairRMConfig, pairwiseParameterShapes, parseMiniPairRMConfig } from './config.ts';
export type { MiniPairRMConfig, MiniPairRMConfigOptions, PairwiseParameterShape, PairwiseWeights } from './config.ts';
export { initPairwiseWeights, parsePairwiseWeights, serializePairwiseWeights } from './weights.ts';
export { declarePairwiseParams, pairwiseEncoder, pairwiseHead, pairwiseLogits } from './encoder.ts';
export type { PairwiseGraphInputs, PairwiseParamTensors } from './encoder.ts';
export { referenceEncoder, referencePairwiseHead, referencePairwiseLogit } from './reference.ts';
export { buildPairwiseGraph, buildPairwiseModel, PAIRWISE_MODEL_FILE } from './onnx-model.ts';
export type { PairwiseGraphOptions } from './onnx-model.ts';
export { createOnnxPairwiseJudge, DEFAULT_MAX_BATCH_ATTENTION, defaultMaxBatchAttention, loadPairwiseJudge, planBatches } from './onnx-judge.ts';
export type { OnnxPairwiseJudge } from './onnx-judge.ts';
export type { BatchPlanOptions, OnnxPairwiseJudgeOptions, PairwiseModelParts } from './onnx-judge.ts';
export { defaultJudgeReplicas } from './runner-pool.ts';
export { parsePreferencePair, parsePreferencePairs } from './pairs.ts';
export type { ParsedPairs, PreferencePair } from './pairs.ts';
export { rpsResponse, syntheticPreferencePairs, syntheticSentence } from './synthetic.ts';
export type { SyntheticPairsOptions, SyntheticTask } from './synthetic.ts';
export { DEFAULT_JUDGE_TRAIN_ARGS, parseJudgeTrainArgs } from './train-args.ts';
export type { JudgeTrainArgs } from './train-args.ts';
export { evaluatePairs, trainMiniPairRM } from './train.ts';
export type { PairEvaluation, TrainedJudge, TrainMiniPairRMOptions } from './train.ts';
export { JUDGE_COMPLETE_MARKER, readPairwiseCheckpoint, writePairwiseCheckpoint } from './checkpoint.ts';
export type { PairwiseCheckpoint, PairwiseCheckpointInput } from './checkpoint.ts';
