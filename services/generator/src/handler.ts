/**
 * The `generate` task (issue 4; SPPO-REFERENCE 2.2 steps 2-5): shard i of round t -> K responses
 * per prompt from the round's policy pi_t, at runs/{run}/round={t}/generations/shard={i}.jsonl.
 *
 * Reads the round manifest (the shard's prompt ids and the resolved run config), the run's prompt
 * pool and checkpoint t, samples K responses per prompt (sample k with seed sample_seeds[k] or the
 * official 50*k), writes the whole shard in ONE put, publishes `shard.generated`, and returns so
 * that runWorker acks. Nothing partial is ever written, so a crash mid-shard loses nothing.
 *
 * Idempotent: a shard that already exists with valid content (every prompt of the manifest's
 * shard, in order, with K responses and the expected seeds) is not regenerated; the event is
 * published again (it may have been lost between the put and the send). Regenerating gives the
 * same bytes anyway: sampling is a pure function of (checkpoint, prompt, seed). A cancelled run
 * is skipped. A task that cannot succeed throws a permanent error (errors.ts): runWorker forwards
 * it to the generate DLQ with its reason, acks it and records the unit's failure (worker.ts).
 */
import type { HandlerContext, Logger, MessageHandler, ObjectStore, Queue } from '@sppo/cloud';
import { isNotFound, isRunCancelled } from '@sppo/cloud';
import {
  generationRowSchema,
  generationShardKey,
  manifestKey,
  normalizePrompts,
  parseJsonl,
  promptPoolRowSchema,
  roundManifestSchema,
  sampleSeed,
  toJsonl,
  type GenerateQueueTask,
  type GenerateTask,
  type GenerationRow,
  type PoolPrompt,
  type RoundManifest,
  type RunConfig,
} from '@sppo/core';
import { isSamplingError, loadTokenizer, type PromptTemplateOptions, type SamplingParamsInput } from '@sppo/model';
import { engineBackend, type GenerationBackend } from './backend.ts';
import { localCheckpoint, localTokenizerFolder, type EnginePool } from './checkpoints.ts';
import { PermanentGenerateError } from './errors.ts';
import { generateEvalShard } from './eval-handler.ts';
import { openAiBackend, type OpenAiBackendOptions } from './openai-backend.ts';
import { generateRows } from './rows.ts';

export interface GenerateHandlerOptions {
  store: ObjectStore;
  events: Queue;
  /** Local cache of downloaded checkpoints. */
  cacheDir: string;
  engines: EnginePool;
  /** Overrides the run config's execution_provider (e.g. a GPU worker pool). */
  executionProvider?: string;
  /** Bearer token for the 'openai' backend's server. */
  openAiApiKey?: string;
  /** How the 'openai' backend is built (tests pass their own fetch). */
  createOpenAiBackend?: (options: OpenAiBackendOptions) => GenerationBackend;
}

export type GenerateOutcome = 'generated' | 'already-done' | 'skipped-cancelled';

const encoder = new TextEncoder();

async function readManifest(store: ObjectStore, task: GenerateTask): Promise<RoundManifest> {
  const key = manifestKey(task.run_id, task.round);
  try {
    return await store.getJson(key, roundManifestSchema);
  } catch (e) {
    if (isNotFound(e)) throw new PermanentGenerateError(`round ${task.round} of run ${task.run_id} has no manifest (${key}): the round was never started`);
    throw new PermanentGenerateError(`the manifest ${key} is invalid: ${(e as Error).message}`);
  }
}

/** The run's prompt pool: an inline list, or the JSONL object the config points at. */
async function readPool(store: ObjectStore, config: RunConfig): Promise<PoolPrompt[]> {
  if (Array.isArray(config.prompts)) return normalizePrompts(config.prompts);
  const { key } = config.prompts;
  let result;
  try {
    result = await store.readJsonl(key, promptPoolRowSchema);
  } catch (e) {
    if (isNotFound(e)) throw new PermanentGenerateError(`the prompt pool ${key} does not exist`);
    throw e;
  }
  if (result.errors.length > 0) {
    const lines = result.errors.slice(0, 20).map((x) => `line ${x.line}: ${x.message}`);
    throw new PermanentGenerateError(`the prompt pool ${key} has ${result.errors.length} bad line(s):\n  - ${lines.join('\n  - ')}`);
  }
  return normalizePrompts(result.rows);
}

/** The existing shard, if it is complete and matches the manifest and the config's seeds. */
async function existingShard(store: ObjectStore, key: string, promptIds: readonly string[], seeds: readonly number[]): Promise<GenerationRow[] | undefined> {
  let text: string;
  try {
    text = await store.getText(key);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  let rows: GenerationRow[];
  try {
    rows = parseJsonl(text, generationRowSchema, { subject: key });
  } catch {
    return undefined;
  }
  const valid =
    rows.length === promptIds.length &&
    rows.every((row, i) => row.prompt_id === promptIds[i] && row.seeds.length === seeds.length && row.seeds.every((s, k) => s === seeds[k]));
  return valid ? rows : undefined;
}

function samplingParams(config: RunConfig): SamplingParamsInput {
  return { temperature: config.temperature, topP: config.top_p, topK: config.top_k, maxNewTokens: config.max_new_tokens };
}

export async function backendFor(
  config: RunConfig,
  checkpointKey: string,
  options: GenerateHandlerOptions,
): Promise<{ backend: GenerationBackend; template: PromptTemplateOptions }> {
  const source = { store: options.store, cacheDir: options.cacheDir };
  if (config.generation_backend === 'openai') {
    const { openai_base_url: baseUrl, openai_model: model } = config;
    if (baseUrl === undefined || model === undefined) {
      throw new PermanentGenerateError("generation_backend 'openai' needs openai_base_url and openai_model in the run config");
    }
    const tokenizer = await loadTokenizer(await localTokenizerFolder(source, checkpointKey));
    const create = options.createOpenAiBackend ?? openAiBackend;
    return {
      backend: create({ baseUrl, model, ...(options.openAiApiKey ? { apiKey: options.openAiApiKey } : {}) }),
      template: { chatTemplate: config.chat_template ?? tokenizer.chatTemplate, bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken, padToken: tokenizer.padToken },
    };
  }
  const dir = await localCheckpoint(source, checkpointKey);
  const engine = await options.engines.get(dir, options.executionProvider ?? config.execution_provider);
  const { info } = engine;
  const backend = engineBackend(engine);
  return {
    backend: {
      kind: backend.kind,
      // A dead worker thread would fail every retry: drop the engine so the redelivery reloads it.
      generate: (rows, params, onProgress) =>
        backend.generate(rows, params, onProgress).catch(async (error: unknown) => {
          if (isSamplingError(error) && error.code === 'engine_closed') await options.engines.evict(engine);
          throw error;
        }),
    },
    template: { chatTemplate: config.chat_template ?? info.chatTemplate, bosToken: info.bosToken, eosToken: info.eosToken, padToken: info.padToken },
  };
}

export async function generateShard(task: GenerateTask, logger: Logger, options: GenerateHandlerOptions): Promise<GenerateOutcome> {
  const { store, events } = options;
  const { run_id: run, round, shard } = task;
  const generated = { type: 'shard.generated', run_id: run, round, shard } as const;
  if (await isRunCancelled(store, run)) {
    logger.info('generate.skipped_cancelled', { run_id: run, round, shard });
    return 'skipped-cancelled';
  }
  const manifest = await readManifest(store, task);
  const entry = manifest.shards[shard];
  if (entry === undefined) {
    throw new PermanentGenerateError(`round ${round} of run ${run} has ${manifest.shards.length} shard(s) (0..${manifest.shards.length - 1}); shard ${shard} does not exist`);
  }
  const { config } = manifest;
  const seeds = Array.from({ length: config.samples_per_prompt }, (_, k) => sampleSeed(config, k));
  const key = generationShardKey(run, round, shard);
  if ((await existingShard(store, key, entry.prompt_ids, seeds)) !== undefined) {
    await events.send(generated);
    logger.info('generate.already_done', { run_id: run, round, shard });
    return 'already-done';
  }

  const pool = new Map((await readPool(store, config)).map((p) => [p.prompt_id, p.prompt]));
  const unknown = entry.prompt_ids.filter((id) => !pool.has(id));
  if (unknown.length > 0) throw new PermanentGenerateError(`shard ${shard} lists prompt ids that are not in the run's prompt pool: ${unknown.slice(0, 20).join(', ')}`);
  const prompts = entry.prompt_ids.map((id) => ({ prompt_id: id, prompt: pool.get(id) as string }));

  const { backend, template } = await backendFor(config, manifest.checkpoint_key, options);
  const started = performance.now();
  logger.info('generate.started', { run_id: run, round, shard, prompts: prompts.length, samples_per_prompt: seeds.length, backend: backend.kind, checkpoint: manifest.checkpoint_key });
  const rows = await generateRows({ backend, prompts, template, seeds, params: samplingParams(config) });
  const seconds = (performance.now() - started) / 1000;
  // One put of the whole shard: readers see all of it or nothing.
  await store.put(key, encoder.encode(toJsonl(rows)), { contentType: 'application/x-ndjson' });
  await events.send(generated);
  const tokens = rows.reduce((n, r) => n + r.response_tokens.reduce((a, b) => a + b, 0), 0);
  logger.info('generate.done', { run_id: run, round, shard, responses: rows.length * seeds.length, tokens, tokens_per_s: Math.round(tokens / Math.max(seconds, 1e-9)) });
  return 'generated';
}

/**
 * The handler runWorker calls for the generate queue (generate and the evaluation's eval_generate
 * tasks, eval-handler.ts); `generate(task, context)` also returns what happened (tests).
 */
export function createGenerateHandler(
  options: GenerateHandlerOptions,
): MessageHandler<GenerateQueueTask> & { generate: (task: GenerateQueueTask, context: HandlerContext) => Promise<GenerateOutcome> } {
  const generate = (task: GenerateQueueTask, context: HandlerContext): Promise<GenerateOutcome> =>
    task.type === 'eval_generate' ? generateEvalShard(task, context.logger, options) : generateShard(task, context.logger, options);
  const handler = async (task: GenerateQueueTask, context: HandlerContext): Promise<void> => {
    await generate(task, context);
  };
  return Object.assign(handler, { generate });
}
