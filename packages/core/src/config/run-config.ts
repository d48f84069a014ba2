/**
 * The run config (ARCHITECTURE 3.1): one flat, strict, snake_case object with TRL field names where
 * TRL has one, grouped below by purpose (model / data / generation / judge / training). It is
 * persisted with every artefact (run.json, round manifests, checkpoints' training_args.json).
 */
import { z } from 'zod';
import { MAX_ROUND } from '../ids.ts';
import { whenFieldsValid } from './refine.ts';
import { checkTrainingArgs, TRAINING_CROSS_FIELDS, trainingArgsShape } from './training-args.ts';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export const GENERATION_BACKENDS = ['onnx', 'openai'] as const;
export const SCORE_AGGREGATIONS = ['official', 'direct'] as const;
export const WIN_RATE_ESTIMATORS = ['include_self', 'exclude_self'] as const;
export const SELECTIONS = ['extremes', 'all'] as const;

/** Built-in prompts so that `{}` is a runnable demo config; real runs pass `prompts`. */
export const DEMO_PROMPTS: readonly string[] = [
  'Write a haiku about the sea.',
  'Explain why the sky is blue in two sentences.',
  'Give three tips for writing clear code.',
  'What is the capital of France?',
  'Describe a cat to someone who has never seen one.',
  'Summarise the rules of chess in one paragraph.',
  'Suggest a name for a friendly robot.',
  'How do plants make food?',
];

/** One prompt of an inline list: a bare string or an object with an optional stable id. */
export const promptEntrySchema = z.union(
  [z.string().min(1), z.strictObject({ prompt_id: z.string().min(1).optional(), prompt: z.string().min(1) })],
  { error: 'a prompt must be a non-empty string or an object { prompt_id?: string, prompt: string }' },
);

/** Where the prompt pool lives: inline, or a JSONL (`{prompt_id?, prompt}` per line) or Parquet (columns `prompt`, `prompt_id`?) object in the bucket. */
export const promptSourceSchema = z.union(
  [
    z.array(promptEntrySchema).min(1),
    z.strictObject({
      key: z
        .string()
        .min(1)
        .regex(/^[^/].*\.(jsonl|parquet)$/, { message: 'key must be a relative bucket key ending in .jsonl or .parquet' })
        .refine((key) => !key.split('/').includes('..'), { message: 'key must not contain ".." segments' })
        .describe('Bucket key of a JSONL object (one {"prompt_id"?, "prompt"} per line) or a Parquet object (columns prompt, prompt_id?).'),
    }),
  ],
  { error: 'prompts must be a non-empty array of prompts (strings or {prompt_id?, prompt}) or { key: "<bucket key>.jsonl|.parquet" }' },
);

// ---------------------------------------------------------------- model
const modelShape = {
  model_name_or_path: z
    .string()
    .min(1)
    .default('models/base')
    .describe('Base checkpoint (round 0 policy): an S3 prefix in the run bucket or a local folder holding an HF-style checkpoint (ARCHITECTURE 3.4).'),
  chat_template: z
    .string()
    .min(1)
    .optional()
    .describe("Jinja chat template overriding the checkpoint's tokenizer_config.json chat_template."),
  execution_provider: z
    .enum(EXECUTION_PROVIDERS)
    .default('cpu')
    .describe("ONNX Runtime execution provider for generation, judging and training: 'cpu', 'cuda' or 'webgpu'."),
};

// ---------------------------------------------------------------- data
const dataShape = {
  prompts: promptSourceSchema
    .default([...DEMO_PROMPTS])
    .describe('Prompt pool: an inline array of strings / {prompt_id?, prompt}, or {key} naming a JSONL object in the bucket. Defaults to a few demo prompts.'),
  prompts_per_iteration: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Prompts used per round; 0 = pool size / num_iterations, i.e. a new disjoint part each round like the official 3 x 20k split (SPPO-REFERENCE 1.5). Wraps around when the pool runs out.'),
  prompts_per_shard: z
    .number()
    .int()
    .min(1)
    .default(32)
    .describe('Prompts per generation/judge shard: a round\'s prompts are split into ceil(prompts_per_iteration / prompts_per_shard) shards, one queue task each.'),
  num_iterations: z
    .number()
    .int()
    .min(1)
    .max(MAX_ROUND + 1)
    .default(3)
    .describe('SPPO iterations (rounds); round t trains checkpoint t into checkpoint t+1 (official 3).'),
};

// ---------------------------------------------------------------- generation
const generationShape = {
  samples_per_prompt: z
    .number()
    .int()
    .min(2)
    .max(64)
    .default(5)
    .describe('K responses sampled per prompt; win rates need K >= 2 (official 5).'),
  temperature: z.number().min(0).default(0.7).describe('Sampling temperature; 0 = greedy (official 0.7).'),
  top_p: z.number().gt(0).max(1).default(0.9).describe('Nucleus sampling mass in (0, 1] (official 0.9).'),
  top_k: z.number().int().min(0).default(0).describe('Keep only the k most likely tokens; 0 turns it off.'),
  max_new_tokens: z.number().int().min(1).default(2048).describe('Max generated tokens per response (official 2048).'),
  sample_seeds: z
    .array(z.number().int().min(0))
    .optional()
    .describe('Explicit seed per sample k (length samples_per_prompt); unset uses the official 50*k (SPPO-REFERENCE 2.2 step 4).'),
  generation_backend: z
    .enum(GENERATION_BACKENDS)
    .default('onnx')
    .describe("'onnx': the embedded ONNX Runtime decoder; 'openai': an OpenAI-compatible completions server (vLLM, TGI, SGLang)."),
  // http(s) only: z.url() alone also accepts file:, ftp:, data: and javascript: URLs, none of which
  // the generator's fetch should ever be pointed at. Deployments may restrict hosts further (an
  // allow-list in front of the generator); the schema cannot know a deployment's network.
  openai_base_url: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL (e.g. http://127.0.0.1:8000/v1); other schemes (file:, ftp:, data:, ...) are refused' })
    .optional()
    .describe(
      "Base URL of the OpenAI-compatible server, http:// or https:// only (e.g. http://127.0.0.1:8000/v1); required with generation_backend 'openai'. Deployments may restrict the hosts further.",
    ),
  openai_model: z
    .string()
    .min(1)
    .optional()
    .describe("Model name served there; required with generation_backend 'openai'."),
};

// ---------------------------------------------------------------- judge
const judgeShape = {
  judge_model: z
    .string()
    .min(1)
    .default('models/judge')
    .describe('PairRM-style pairwise judge checkpoint: an S3 prefix in the run bucket or a local folder.'),
  judge_max_source_tokens: z.number().int().min(1).default(1224).describe("Judge's prompt token budget (PairRM source_maxlength 1224)."),
  judge_max_candidate_tokens: z
    .number()
    .int()
    .min(1)
    .default(412)
    .describe("Judge's per-response token budget (PairRM candidate_maxlength 412)."),
  score_aggregation: z
    .enum(SCORE_AGGREGATIONS)
    .default('official')
    .describe("'official': s_i = mean_j(C_ij - C_ji), P_ij = sigmoid(s_i - s_j) (compute_prob.py); 'direct': P_ij = sigmoid(C_ij - C_ji)."),
  win_rate_estimator: z
    .enum(WIN_RATE_ESTIMATORS)
    .default('include_self')
    .describe("'include_self': mean of P_ij over all K incl. P_ii = 0.5 (official); 'exclude_self': mean over the other K-1."),
  selection: z
    .enum(SELECTIONS)
    .default('extremes')
    .describe("'extremes': one (argmax, argmin) pair per prompt (official); 'all': every response with its own win rate."),
};

// ---------------------------------------------------------------- evaluation (issue 21)
const evaluationShape = {
  eval_prompts: promptSourceSchema
    .optional()
    .describe(
      'Evaluation prompts, never trained on: an inline array or {key} of a JSONL/Parquet object, like `prompts`. With eval_prompts or eval_holdout set, every evaluated round compares its new policy with pi_0 and pi_t; unset (and eval_holdout 0) turns evaluation off.',
    ),
  eval_holdout: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Hold this many prompts out of the pool at creation (a seeded choice, `seed`) as the evaluation prompts; they never reach a training shard. 0 = none. Not together with eval_prompts.'),
  eval_samples_per_prompt: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('Responses per evaluation prompt and policy; sample k of pi_{t+1} is compared with sample k of pi_0 and of pi_t (seed 50*k, fixed across rounds).'),
  eval_temperature: z.number().min(0).optional().describe('Evaluation sampling temperature; unset = the run\'s temperature.'),
  eval_top_p: z.number().gt(0).max(1).optional().describe('Evaluation nucleus mass; unset = the run\'s top_p.'),
  eval_top_k: z.number().int().min(0).optional().describe('Evaluation top-k; unset = the run\'s top_k.'),
  eval_max_new_tokens: z.number().int().min(1).optional().describe('Evaluation max new tokens; unset = the run\'s max_new_tokens.'),
  eval_every: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe('Evaluate checkpoint t+1 when t+1 is a multiple of eval_every; the last checkpoint is always evaluated. 1 = every round.'),
};

type CrossFields = {
  samples_per_prompt: number;
  sample_seeds?: number[] | undefined;
  generation_backend: string;
  openai_base_url?: string | undefined;
  openai_model?: string | undefined;
};

function checkRunConfig(value: CrossFields, ctx: z.RefinementCtx): void {
  if (value.sample_seeds !== undefined && value.sample_seeds.length !== value.samples_per_prompt) {
    ctx.addIssue({
      code: 'custom',
      path: ['sample_seeds'],
      message: `sample_seeds has ${value.sample_seeds.length} seeds but samples_per_prompt is ${value.samples_per_prompt}; give one seed per sample or leave it unset for the official 50*k`,
    });
  }
  if (value.generation_backend === 'openai') {
    for (const field of ['openai_base_url', 'openai_model'] as const) {
      if (value[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} is required when generation_backend is 'openai'` });
      }
    }
  }
}

export const runConfigShape = {
  ...modelShape,
  ...dataShape,
  ...generationShape,
  ...judgeShape,
  ...evaluationShape,
  ...trainingArgsShape,
};

export const runConfigSchema = z
  .strictObject(runConfigShape)
  .superRefine(checkRunConfig, { when: whenFieldsValid(['samples_per_prompt', 'sample_seeds', 'generation_backend', 'openai_base_url', 'openai_model']) })
  .superRefine(checkTrainingArgs, { when: whenFieldsValid(TRAINING_CROSS_FIELDS) });

export type RunConfig = z.output<typeof runConfigSchema>;
/** What a user may send: every field optional (defaults fill the rest). */
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type PromptSource = z.output<typeof promptSourceSchema>;
export type PromptEntry = z.output<typeof promptEntrySchema>;

/** The official per-sample seed: sample k of every prompt uses seed 50*k (scripts/generate.py). */
export const OFFICIAL_SEED_STRIDE = 50;

/** Seed of sample k (0-based): the explicit `sample_seeds[k]` if given, else the official 50*k. */
export function sampleSeed(config: Pick<RunConfig, 'samples_per_prompt' | 'sample_seeds'>, k: number): number {
  if (!Number.isInteger(k) || k < 0 || k >= config.samples_per_prompt) {
    throw new RangeError(`sample index ${k} is out of range: expected an integer from 0 to ${config.samples_per_prompt - 1} (samples_per_prompt - 1)`);
  }
  return config.sample_seeds?.[k] ?? OFFICIAL_SEED_STRIDE * k;
}
