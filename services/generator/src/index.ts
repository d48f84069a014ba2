// Public API of the generator service: the generate task handler, its queue worker, the
// generation backends and the OpenAI-compatible HTTP API.
export { engineBackend } from './backend.ts';
export type { BackendResult, BackendRow, GenerationBackend } from './backend.ts';
export { OpenAiBackendError, openAiBackend } from './openai-backend.ts';
export type { OpenAiBackendOptions } from './openai-backend.ts';
export { generateRows, rawPromptText } from './rows.ts';
export type { GenerateRowsOptions, PromptInput } from './rows.ts';
export { createEnginePool, localCheckpoint, localTokenizerFolder, TOKENIZER_FILES, verifyCheckpointFolder } from './checkpoints.ts';
export type { CheckpointSource, EnginePool, EnginePoolOptions } from './checkpoints.ts';
export { isPermanent, PermanentGenerateError, reasonOf } from './errors.ts';
export { createGenerateHandler, generateShard } from './handler.ts';
export type { GenerateHandlerOptions, GenerateOutcome } from './handler.ts';
export { startGeneratorWorker } from './worker.ts';
export type { GeneratorWorkerOptions } from './worker.ts';
export { createOpenAiApp } from './openai/app.ts';
export type { OpenAiAppOptions } from './openai/app.ts';
export { OpenAiHttpError, toOpenAiError } from './openai/errors.ts';
export type { OpenAiErrorBody } from './openai/errors.ts';
export { chatCompletionRequestSchema, completionRequestSchema } from './openai/schemas.ts';
export type { ChatCompletionRequest, CompletionRequest } from './openai/schemas.ts';
export { startOpenAiServer } from './openai/server.ts';
export type { OpenAiServer } from './openai/server.ts';
