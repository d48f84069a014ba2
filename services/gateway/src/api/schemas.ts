/**
 * The shapes of the HTTP API, as zod schemas: request bodies are validated with them and the
 * OpenAPI document (api/openapi.ts) is generated from them (zod 4's z.toJSONSchema), so the
 * document cannot drift from what the routes accept and return.
 */
import { z } from 'zod';
import {
  evalMetricsSchema,
  failureRecordSchema,
  promptSourceSchema,
  roundManifestSchema,
  roundMetricsSchema,
  runConfigSchema,
  runIdSchema,
  runStatusValueSchema,
  tripletRowSchema,
} from '@sppo/core';
import { ERROR_CODES, LIMIT_ERROR_CODES } from '../http/errors.ts';
import { LIMIT_NAMES } from '../http/limit-settings.ts';

const issueDetailsSchema = z
  .object({ issues: z.array(z.object({ path: z.string(), message: z.string(), valid_values: z.array(z.string()).optional() })) })
  .describe('For validation errors: every problem, positioned by its field path.');

export const limitDetailsSchema = z
  .object({
    limit: z.enum(LIMIT_NAMES).describe('The per-tenant limit that was reached.'),
    allowed: z.number().int().describe("The limit's value (the operator's setting)."),
    current: z.number().int().optional().describe('Where the caller stands: its running runs, or the prompts the pool would hold.'),
    retry_after_seconds: z.number().int().optional().describe('As the Retry-After header; absent when waiting cannot help (prompts_per_run).'),
  })
  .describe('For 429 answers: which per-tenant limit was reached.');

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).describe('Stable machine-readable code.'),
      message: z.string().describe('What was wrong and how to fix it.'),
      details: z.union([issueDetailsSchema, limitDetailsSchema]).optional().describe('Validation problems (400) or the limit reached (429).'),
    }),
  })
  .describe('Every error response.');

export const limitErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(LIMIT_ERROR_CODES).describe('Names the limit: rate_limit_exceeded (requests per API key), running_runs_limit_exceeded, prompts_per_run_limit_exceeded.'),
      message: z.string().describe('The limit, its value, and what to do.'),
      details: limitDetailsSchema,
    }),
  })
  .describe('429: a per-tenant limit was reached (the error shape; gateway README "Limits").');

export const ROUND_PHASES = ['waiting', 'generating', 'judging', 'training', 'done'] as const;
/** A run's stage: its current round's phase, or 'evaluating' once every round trained but an evaluation is still being written. */
export const RUN_STAGES = [...ROUND_PHASES, 'evaluating'] as const;
export const EVAL_PHASES = ['off', 'waiting', 'generating', 'judging', 'done'] as const;

export const runCreatedSchema = z.object({
  run_id: runIdSchema,
  status: runStatusValueSchema,
  created_at: z.string(),
  num_iterations: z.number().int(),
  shards_per_round: z.number().int(),
  prompt_count: z.number().int(),
  eval_prompt_count: z.number().int().optional().describe('Evaluation prompts (eval_prompts, or eval_holdout held out of the pool); absent when evaluation is off.'),
  links: z.object({ self: z.string(), rounds: z.string() }),
});

export const runSummarySchema = z.object({
  run_id: runIdSchema,
  status: runStatusValueSchema,
  created_at: z.string(),
  status_updated_at: z.string().optional(),
  current_round: z.number().int().nullable().describe('The first round whose checkpoint is not complete; null when every round is done.'),
  stage: z.enum(RUN_STAGES).describe("The current round's phase; 'evaluating' while the last evaluations are written; 'done' once all are."),
  num_iterations: z.number().int(),
  model_name_or_path: z.string().describe('The base policy of round 0.'),
  loss_type: z.string().describe('The run config\'s loss_type (sppo, sppo_single, sppo_hard, sigmoid, ipo).'),
});

export const runListSchema = z.object({
  runs: z.array(runSummarySchema).describe("The tenant's runs, oldest first."),
  next_cursor: z.string().optional().describe('Pass as ?cursor= for the next page; absent on the last page.'),
});

const metricsValues = z.record(z.string(), z.number());

export const roundTimingsSchema = z
  .object({
    started_at: z.string().optional().describe("The round's manifest was written."),
    generated_at: z.string().optional().describe('The last generation shard was written (once all exist).'),
    judged_at: z.string().optional().describe('The last triplet shard was written (once all exist).'),
    trained_at: z.string().optional().describe("The output checkpoint's _COMPLETE was written."),
    generate_s: z.number().optional(),
    judge_s: z.number().optional(),
    train_s: z.number().optional(),
    total_s: z.number().optional(),
  })
  .describe("When each stage of the round finished (S3 modification times of its outputs), and the seconds between them.");

export const roundProgressSchema = z.object({
  round: z.number().int(),
  phase: z.enum(ROUND_PHASES),
  shards: z.number().int(),
  generated: z.number().int().describe('Shards with generations (judged ones included).'),
  judged: z.number().int(),
  checkpoint_complete: z.boolean().describe('Checkpoint round+1 (this round\'s output) exists.'),
  timings: roundTimingsSchema,
  evaluation: z
    .object({
      phase: z.enum(EVAL_PHASES).describe("'off' for a round not evaluated (eval_every, or no evaluation prompts)."),
      shards: z.number().int(),
      generated: z.number().int().describe('Eval shards with the samples of every compared policy.'),
      judged: z.number().int(),
      metrics: evalMetricsSchema.nullable().describe('runs/{run}/round={t}/eval/metrics.json once written.'),
    })
    .describe("The evaluation of this round's checkpoint round+1 against pi_0 and pi_round (issue 21)."),
  metrics: z
    .object({
      generation: metricsValues.optional(),
      judge: metricsValues.optional(),
      train: metricsValues.optional().describe('The training summary plus the last logged step (TRL metric names).'),
    })
    .nullable(),
});

export const runViewSchema = z.object({
  run_id: runIdSchema,
  status: runStatusValueSchema,
  status_reason: z.string().optional(),
  status_updated_at: z.string().optional(),
  created_at: z.string(),
  current_round: z.number().int().nullable().describe('The first round whose checkpoint is not complete; null when every round is done.'),
  stage: z.enum(RUN_STAGES).describe("The current round's phase; 'evaluating' while the last evaluations are written; 'done' once all are."),
  progress: z.object({ shards: z.number().int(), generated: z.number().int(), judged: z.number().int() }).describe('Shard progress of the current round.'),
  num_iterations: z.number().int(),
  shards_per_round: z.number().int(),
  rounds: z.array(roundProgressSchema),
  failures: z.array(failureRecordSchema).describe('Dead-lettered units with their reasons.'),
  evaluation: z
    .object({
      enabled: z.boolean(),
      prompts: z.number().int().describe('Evaluation prompts.'),
      shards: z.number().int(),
      every: z.number().int().describe('The config\'s eval_every.'),
      table: z.array(evalMetricsSchema).describe('One row per evaluated round whose metrics are written, in round order: win rates of pi_{t+1} against pi_0 (vs_base) and pi_t (vs_previous).'),
    })
    .describe('The evaluation stage (issue 21): what the judge says of each new policy on prompts no round trained on.'),
  config: runConfigSchema.describe('The resolved run config.'),
  summary: z.record(z.string(), z.unknown()).optional().describe('runs/{run}/summary.json once the run completed.'),
});

const shardLinkSchema = z.object({ shard: z.number().int(), key: z.string(), exists: z.boolean() });

export const roundViewSchema = z.object({
  run_id: runIdSchema,
  round: z.number().int(),
  phase: z.enum(ROUND_PHASES),
  manifest: roundManifestSchema.nullable().describe('null until the round started.'),
  metrics: roundMetricsSchema.nullable(),
  evaluation: evalMetricsSchema
    .nullable()
    .describe("The evaluation of this round's checkpoint round+1 against pi_0 and pi_round (issue 21); null until written, or when the round is not evaluated."),
  links: z.object({
    manifest: z.string(),
    metrics: z.string(),
    evaluation: z.string().describe('runs/{run}/round={t}/eval/metrics.json'),
    generations: z.array(shardLinkSchema),
    triplets: z.array(shardLinkSchema),
    checkpoint: z.object({ prefix: z.string(), complete_key: z.string(), complete: z.boolean() }).describe("This round's output checkpoint (round+1)."),
  }),
});

export const sampleSchema = z.object({
  shard: z.number().int().describe('Triplet shard the row comes from.'),
  line: z.number().int().describe('1-based line of the row in its shard.'),
  row: tripletRowSchema.describe('The triplet row as stored (official field names; one row per prompt, or per response with selection: all).'),
  win_rates: z.array(z.number()).describe("Win-rate estimate of each of the K responses against pi_t, from `probability` with the run's win_rate_estimator."),
  chosen_index: z.number().int().optional().describe('Pair rows: index in `responses` of the chosen response (argmax of rm_scores).'),
  rejected_index: z.number().int().optional().describe('Pair rows: index in `responses` of the rejected response (argmin of rm_scores).'),
});

export const samplePageSchema = z.object({
  run_id: runIdSchema,
  round: z.number().int(),
  samples: z.array(sampleSchema).describe('Rows in shard order, then line order; shards not written yet are skipped.'),
  next_cursor: z.string().optional().describe('Pass as ?cursor= for the next page; absent on the last page.'),
});

export const sampleQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(50).default(10).describe('Rows per page, 1-50.'),
  cursor: z.string().regex(/^[0-9]{1,6}\.[0-9]{1,9}$/, { message: 'cursor must be the next_cursor of a previous page' }).optional(),
});

export const sessionSchema = z.object({ tenant: z.string().describe('The tenant the API key belongs to.') }).describe('Who the API key is.');

export const addPromptsBodySchema = z.strictObject({
  prompts: promptSourceSchema.describe('Prompts to append to the run\'s pool: inline, or { key } of a JSONL or Parquet object under your tenant area.'),
});

export const addPromptsResultSchema = z.object({ run_id: runIdSchema, added: z.number().int(), prompt_count: z.number().int() });

export const cancelBodySchema = z.strictObject({ reason: z.string().min(1).max(1000).optional() });

export const actionResultSchema = z.object({ run_id: runIdSchema, status: runStatusValueSchema, message: z.string() });

export const healthCheckSchema = z.object({
  status: z.enum(['pass', 'fail']),
  componentType: z.string().optional(),
  time: z.string().optional(),
  output: z.string().optional(),
});

export const healthSchema = z
  .object({ status: z.enum(['pass', 'fail']), checks: z.record(z.string(), z.array(healthCheckSchema)).optional() })
  .describe('application/health+json (draft-inadarei-api-health-check).');

export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Runs per page, 1-100.'),
  cursor: z.string().min(1).max(2048).regex(/^[A-Za-z0-9+/=_.~-]+$/, { message: 'cursor must be the next_cursor of a previous page' }).optional(),
});
