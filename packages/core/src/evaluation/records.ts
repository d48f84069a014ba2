/**
 * The evaluation stage's objects (issue 21; keys in keys.ts):
 * - the round's evaluation manifest (round={t}/eval/_manifest.json), written once when checkpoint
 *   t+1 is ready: the candidate and baseline checkpoints, the eval shards' prompt ids, the config;
 * - a policy's samples (eval/policy={c}/generations/shard={i}.jsonl): generation rows, K >= 1;
 * - the judgments (round={t}/eval/judgments/shard={i}.jsonl): per prompt and sample k, the
 *   candidate's response against each baseline's sample k, judged in both orders;
 * - the metrics (round={t}/eval/metrics.json): the table row (evaluation/metrics.ts).
 */
import { z } from 'zod';
import { runConfigSchema } from '../config/run-config.ts';
import { roundSchema, runIdSchema } from '../ids.ts';
import { manifestShardSchema } from '../schemas/records.ts';
import { FINISH_REASONS, probabilitySchema } from '../schemas/rows.ts';

export const evalManifestSchema = z.object({
  run_id: runIdSchema,
  round: roundSchema.describe('The evaluated round t: its checkpoint t+1 against pi_0 and pi_t.'),
  candidate: roundSchema.describe('Checkpoint t+1.'),
  baselines: z.array(roundSchema).min(1).describe('Checkpoints compared with: [0, t] ([0] for t = 0).'),
  checkpoints: z
    .array(z.object({ policy: roundSchema, key: z.string().min(1) }))
    .min(1)
    .describe('Where each policy of the comparison is loaded from (checkpoint prefix, or the base model for 0).'),
  shards: z.array(manifestShardSchema).min(1).describe('The evaluation prompts cut into shards of prompts_per_shard.'),
  created_at: z.iso.datetime({ offset: true }),
  config: runConfigSchema,
});
export type EvalManifest = z.infer<typeof evalManifestSchema>;

/** One evaluation prompt's samples from one policy (core's generation row, with K >= 1). */
export const evalGenerationRowSchema = z
  .object({
    prompt_id: z.string().min(1),
    prompt: z.string(),
    prompt_text: z.string(),
    responses: z.array(z.string()).min(1),
    seeds: z.array(z.number().int()),
    response_tokens: z.array(z.number().int().min(0)),
    finish_reasons: z.array(z.enum(FINISH_REASONS)),
  })
  .superRefine((row, ctx) => {
    for (const field of ['seeds', 'response_tokens', 'finish_reasons'] as const) {
      if (row[field].length !== row.responses.length) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} has ${row[field].length} entries but responses has ${row.responses.length}` });
      }
    }
  });
export type EvalGenerationRow = z.infer<typeof evalGenerationRowSchema>;

export const evalComparisonSchema = z.object({
  baseline: roundSchema.describe('The baseline checkpoint.'),
  response: z.string(),
  response_tokens: z.number().int().min(0),
  logit_candidate_first: z.number().describe('Judge logit that the candidate wins, candidate shown first: C(candidate, baseline).'),
  logit_baseline_first: z.number().describe('Judge logit that the baseline wins, baseline shown first: C(baseline, candidate).'),
  win_prob: probabilitySchema.describe('Position-debiased P(candidate beats baseline) = sigmoid(C(c, b) - C(b, c)).'),
});

export const evalJudgmentRowSchema = z.object({
  prompt_id: z.string().min(1),
  prompt: z.string(),
  sample: z.number().int().min(0).describe('Sample index k: the candidate\'s sample k against each baseline\'s sample k.'),
  seed: z.number().int(),
  candidate: roundSchema,
  response: z.string(),
  response_tokens: z.number().int().min(0),
  comparisons: z.array(evalComparisonSchema).min(1),
});
export type EvalJudgmentRow = z.infer<typeof evalJudgmentRowSchema>;

const interval = z.array(z.number()).length(2).describe('95% interval [low, high].');

export const evalVersusSchema = z.object({
  baseline: roundSchema.describe('The baseline checkpoint (0, or t).'),
  win_rate: probabilitySchema.describe('Mean over prompts of the position-debiased judge probability that pi_{t+1} wins.'),
  win_rate_ci95: interval.describe('95% interval over prompts (normal approximation).'),
  lc_win_rate: probabilitySchema.describe('Length-controlled win rate (AlpacaEval 2.0 style): the regression\'s win rate at zero length difference.'),
  lc_win_rate_ci95: interval.describe('95% percentile-bootstrap interval over prompts.'),
  length_weight: z.number().describe('Fitted weight of tanh(length difference / sd): > 0 when the judge favours the longer answer.'),
  mean_length_diff: z.number().describe('Mean candidate minus baseline response length, tokens.'),
  comparisons: z.number().int().min(0),
});
export type EvalVersus = z.infer<typeof evalVersusSchema>;

export const evalMetricsSchema = z.object({
  run_id: runIdSchema,
  round: roundSchema,
  candidate: roundSchema.describe('Checkpoint t+1.'),
  judge_model: z.string(),
  prompts: z.number().int().min(0).describe('Evaluation prompts judged.'),
  samples_per_prompt: z.number().int().min(1),
  vs_base: evalVersusSchema.describe('pi_{t+1} against pi_0.'),
  vs_previous: evalVersusSchema.describe('pi_{t+1} against pi_t (the same as vs_base for round 0).'),
  mean_response_tokens: z
    .array(z.object({ policy: roundSchema, tokens: z.number().min(0) }))
    .describe('Mean evaluation response length of each compared policy, tokens.'),
});
export type EvalMetrics = z.infer<typeof evalMetricsSchema>;
