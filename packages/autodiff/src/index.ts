export { createGraph, GraphBuilder } from './builder.ts';
export type { RawOpOptions } from './builder.ts';
export type { GraphOptions, GradRule, OpRecord } from './core.ts';
export type { GemmOptions } from './ops/linalg.ts';
export type { Attr } from './onnx.ts';
export type { AnyTypedArray, Dim, DType, FloatType, Operand, Tensor, TensorData } from './types.ts';
export { checkGradients, seededNormal } from './gradcheck.ts';
export type { GradientCheckOptions, GradientCheckReport } from './gradcheck.ts';
export {
  clipByGlobalNorm, emitOptimizer, globalNormClip, nextName, OPTIMIZER_TYPES, optimizerScalarNames, optimizerScalars, optimizerStateKinds, resolveOptimizer, stateName,
} from './optimizer.ts';
export type { AdamWConfig, OptimizerConfig, OptimizerGraph, RMSpropConfig, SGDConfig } from './optimizer.ts';
export { buildGradientStep, buildOptimizerStep, buildTrainStep, gradName } from './trainstep.ts';
export type { BuildLoss, OptimizerStepOptions, ParamSpec, StepBuildOptions, StepGraph, TrainStepOptions } from './trainstep.ts';
export { createLrSchedule, SCHEDULE_TYPES, warmupStepsFor } from './schedule.ts';
export type { LrScheduleOptions, ScheduleType } from './schedule.ts';
export { deserializeOptimizerState, initOptimizerState, serializeOptimizerState } from './state.ts';
export type { OptimizerState } from './state.ts';
export { availableProviders, createSession, executionProviderStartError, fromOrt, toOrt } from './session.ts';
export type { GraphOptimizationLevel, SessionOptions } from './session.ts';
export { createLocalHost } from './host.ts';
export type { RunRequest, SessionInfo, TensorHost } from './host.ts';
export { createWorkerHost } from './worker-host.ts';
export { createWorkerSession } from './worker-session.ts';
export type { WorkerSession } from './worker-session.ts';
export { createTrainStepper } from './stepper.ts';
export type { TrainStepper, TrainStepperOptions } from './stepper.ts';
export { readModelInputs } from './proto-read.ts';
export type { ModelInputInfo } from './proto-read.ts';
