// Public API of @sppo/cloud: S3 + SQS adapters, the queue worker loop and the local emulator.
export {
  QUEUE_KINDS,
  DEFAULT_QUEUE_PREFIX,
  DEFAULT_REGION,
  DEFAULT_LOCAL_BUCKET,
  EMULATOR_CREDENTIALS,
  cloudConfigFromEnv,
  queueName,
  queuePrefixOf,
  resolveCloudConfig,
  validateCloudConfig,
  s3EndpointOf,
  sqsEndpointOf,
} from './config.ts';
export type { CloudConfig, CloudCredentials, QueueKind } from './config.ts';
export { createS3Client, createSqsClient } from './clients.ts';
export {
  NotFoundError,
  CloudConfigError,
  ResourceMissingError,
  InvalidMessageError,
  PermanentError,
  isNotFound,
  awsErrorName,
  awsStatusCode,
} from './errors.ts';
export { anySchema, describeSchemaError } from './schema.ts';
export type { SchemaLike, SafeParseResult } from './schema.ts';
export { createObjectStore, MIN_PART_SIZE_BYTES } from './object-store.ts';
export type { ObjectStore, ObjectStoreOptions, ObjectInfo, PutOptions, PutBody } from './object-store.ts';
export { parseJsonl, parseJsonlStream, splitLines, formatJsonl, formatJsonlErrors, collectJsonl } from './jsonl.ts';
export type { JsonlResult, JsonlError, JsonlEntry } from './jsonl.ts';
export { uploadFolder, downloadFolder, listLocalFiles, normalizePrefix } from './folders.ts';
export type { UploadFolderOptions, DownloadFolderOptions } from './folders.ts';
export { createQueue, chunkBatch, MAX_BATCH_ENTRIES, MAX_BATCH_BYTES, MAX_WAIT_TIME_SECONDS, MAX_VISIBILITY_TIMEOUT_SECONDS } from './queue.ts';
export type { Queue, QueueOptions, QueueDepth, ReceivedMessage, ReceiveOptions, SendOptions } from './queue.ts';
export { createQueueUrlResolver, lookupQueueUrl } from './queue-urls.ts';
export type { QueueUrlResolver } from './queue-urls.ts';
export { runWorker } from './worker.ts';
export type { WorkerOptions, WorkerHandle, WorkerStats } from './worker.ts';
export { processMessage, DLQ_REASON_ATTRIBUTE, DLQ_SOURCE_QUEUE_ATTRIBUTE, DLQ_SOURCE_MESSAGE_ATTRIBUTE } from './worker-message.ts';
export type { MessageHandler, HandlerContext, FailureInfo, OnFailure, MessageOutcome } from './worker-message.ts';
export { failureReason, recordUnitFailure, unitFailureHook } from './unit-failures.ts';
export type { UnitFailureDeps } from './unit-failures.ts';
export { startStageWorker } from './stage-worker.ts';
export type { StageWorkerOptions, StageWorkerTuning } from './stage-worker.ts';
export { positiveIntFromEnv, stageEnvFromProcess, stageFlagsFromArgv } from './stage-main.ts';
export type { StageEnv, StageEnvOptions } from './stage-main.ts';
export { startHeartbeat } from './heartbeat.ts';
export type { Heartbeat } from './heartbeat.ts';
export { createLogger, silentLogger } from './logger.ts';
export type { Logger, LoggerOptions, LogLevel, LogFields } from './logger.ts';
export { bootstrap, DEFAULT_VISIBILITY_TIMEOUTS } from './bootstrap.ts';
export type { BootstrapOptions, BootstrapResult, BootstrappedQueue } from './bootstrap.ts';
export { startEmulator } from './emulator.ts';
export type { Emulator, EmulatorOptions } from './emulator.ts';
export { mapWithConcurrency, sleep } from './concurrency.ts';
export { startTestCloud } from './test-cloud.ts';
export type { TestCloud, TestCloudOptions } from './test-cloud.ts';
export { parseEmulatorArgs, startLocalCloud } from './emulator-main.ts';
export type { EmulatorMainOptions } from './emulator-main.ts';
export { listenHttp } from './http-server.ts';
export type { HttpListener } from './http-server.ts';
export { isRunCancelled } from './run-status.ts';
