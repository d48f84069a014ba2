// Public API of the trainer service (issue 6): the train task handler (called directly in tests),
// the worker, and the algorithm checks on a tabular policy.
export { createTrainHandler } from './handler.ts';
export type { TrainHandlerOptions, TrainOutcome } from './handler.ts';
export { startTrainerWorker } from './worker.ts';
export type { TrainerWorkerOptions } from './worker.ts';
export { isPermanent, PermanentTrainError, reasonOf } from './errors.ts';
export { readManifest, readTriplets, trainingArgsOf } from './inputs.ts';
export { fetchCheckpoint, fetchReferenceCheckpoint, verifyCheckpointMarker } from './reference.ts';
export { s3TrainStateStore } from './state-store.ts';
export type { TrainStateStore } from './state-store.ts';
export {
  dualityGap,
  exactSppoUpdate,
  fitSquaredLoss,
  populationTriplets,
  sampleTriplets,
  selfPlay,
  winRatesAgainst,
} from './checks/tabular.ts';
