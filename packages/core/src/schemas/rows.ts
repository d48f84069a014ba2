/**
 * Shard rows (ARCHITECTURE 3.3), one JSON object per JSONL line.
 *
 * Triplet rows come in two shapes, kept as two schemas plus their union `tripletRowSchema`:
 * - `pairTripletRowSchema` (selection 'extremes', official): the official training columns of
 *   scripts/compute_prob.py `prepare_score` (chosen, rejected, chosen_probs, chosen_probs_win,
 *   chosen_probs_lose) plus the generated-set columns (responses, probability [K][K], rm_scores [K]),
 *   so a user can load them like UCLA-AGI's datasets.
 * - `responseTripletRowSchema` (selection 'all'): one row per response with its own `win_rate`, the
 *   (x, y, P-hat(y > pi_t | x)) triplet of Algorithm 1 / eq. (4.7).
 * A row is a pair row iff it has `chosen`; `isPairTripletRow` tells them apart.
 */
import { z } from 'zod';

export const probabilitySchema = z.number().min(0).max(1);
export const FINISH_REASONS = ['stop', 'length'] as const;

/** Official chosen/rejected are message lists [{role:'user'}, {role:'assistant'}] (compute_prob.py). */
export const chatMessageSchema = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export const completionSchema = z.union([z.string(), z.array(chatMessageSchema).min(1)]);
export type Completion = z.infer<typeof completionSchema>;

function sameLength(fields: readonly string[]) {
  return (row: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const [first, ...rest] = fields;
    if (first === undefined) return;
    const expected = (row[first] as unknown[]).length;
    for (const field of rest) {
      const actual = (row[field] as unknown[]).length;
      if (actual !== expected) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} has ${actual} entries but ${first} has ${expected}; all per-sample lists need K entries` });
      }
    }
  };
}

function squareOf(sizeField: string) {
  return (row: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const k = (row[sizeField] as unknown[]).length;
    const matrix = row['probability'] as unknown[][];
    if (matrix.length !== k || matrix.some((line) => line.length !== k)) {
      ctx.addIssue({ code: 'custom', path: ['probability'], message: `probability must be ${k}x${k} (K = number of ${sizeField})` });
    }
  };
}

export const generationRowSchema = z
  .object({
    prompt_id: z.string().min(1),
    prompt: z.string().describe('The raw user prompt.'),
    prompt_text: z.string().describe('The prompt after the chat template, as the policy saw it.'),
    responses: z.array(z.string()).min(2),
    seeds: z.array(z.number().int()),
    response_tokens: z.array(z.number().int().min(0)),
    finish_reasons: z.array(z.enum(FINISH_REASONS)),
  })
  .superRefine(sameLength(['responses', 'seeds', 'response_tokens', 'finish_reasons']));
export type GenerationRow = z.infer<typeof generationRowSchema>;

const generatedSetShape = {
  prompt_id: z.string().min(1),
  prompt: z.string(),
  responses: z.array(z.string()).min(2),
  probability: z.array(z.array(probabilitySchema)).describe('P[i][j] = P(y_i > y_j | x), P[i][i] = 0.5.'),
  rm_scores: z.array(z.number()).describe('PairRM aggregate scores s_i = (1/K) sum_j (C_ij - C_ji).'),
};

export const pairTripletRowSchema = z
  .object({
    ...generatedSetShape,
    chosen: completionSchema,
    rejected: completionSchema,
    chosen_probs: probabilitySchema.describe('P[w][l]: probability that the chosen response beats the rejected one.'),
    chosen_probs_win: probabilitySchema.describe('Win-rate estimate of the chosen response against pi_t.'),
    chosen_probs_lose: probabilitySchema.describe('Win-rate estimate of the rejected response against pi_t.'),
  })
  .superRefine(sameLength(['responses', 'rm_scores']))
  .superRefine(squareOf('responses'));
export type PairTripletRow = z.infer<typeof pairTripletRowSchema>;

export const responseTripletRowSchema = z
  .object({
    ...generatedSetShape,
    response_index: z.number().int().min(0),
    response: completionSchema,
    win_rate: probabilitySchema.describe('Win-rate estimate P-hat(y > pi_t | x) of this response.'),
  })
  .superRefine(sameLength(['responses', 'rm_scores']))
  .superRefine(squareOf('responses'))
  .superRefine((row, ctx) => {
    if (row.response_index >= row.responses.length) {
      ctx.addIssue({ code: 'custom', path: ['response_index'], message: `response_index ${row.response_index} is out of range for ${row.responses.length} responses` });
    }
  });
export type ResponseTripletRow = z.infer<typeof responseTripletRowSchema>;

export const tripletRowSchema = z.union([pairTripletRowSchema, responseTripletRowSchema]);
export type TripletRow = z.infer<typeof tripletRowSchema>;

/**
 * A pair row as training reads it: only the columns the official training step keeps
 * (run_sppo.py drops every other column after templating, SPPO-REFERENCE 2.3): prompt, chosen,
 * rejected, chosen_probs, chosen_probs_win, chosen_probs_lose; prompt_id and the generated-set
 * columns (responses, probability, rm_scores) are optional extras, checked when present. This is
 * the shape of the official `synthetic_data_*_score` train.parquet.
 */
export const trainingPairRowSchema = z
  .object({
    prompt_id: z.string().min(1).optional(),
    prompt: z.string(),
    chosen: completionSchema,
    rejected: completionSchema,
    chosen_probs: pairTripletRowSchema.shape.chosen_probs,
    chosen_probs_win: pairTripletRowSchema.shape.chosen_probs_win,
    chosen_probs_lose: pairTripletRowSchema.shape.chosen_probs_lose,
    responses: generatedSetShape.responses.optional(),
    probability: generatedSetShape.probability.optional(),
    rm_scores: generatedSetShape.rm_scores.optional(),
  })
  .superRefine((row, ctx) => {
    const k = row.responses?.length ?? row.rm_scores?.length ?? row.probability?.length;
    if (k === undefined) return;
    if (row.responses !== undefined && row.rm_scores !== undefined && row.rm_scores.length !== k) {
      ctx.addIssue({ code: 'custom', path: ['rm_scores'], message: `rm_scores has ${row.rm_scores.length} entries but responses has ${k}; all per-sample lists need K entries` });
    }
    if (row.probability !== undefined && (row.probability.length !== k || row.probability.some((line) => line.length !== k))) {
      ctx.addIssue({ code: 'custom', path: ['probability'], message: `probability must be ${k}x${k} (K = number of responses)` });
    }
  });
export type TrainingPairRow = z.infer<typeof trainingPairRowSchema>;

/** What `./sppo train` and the trainer read: official-column pair rows or our per-response rows. */
export const trainingTripletRowSchema = z.union([trainingPairRowSchema, responseTripletRowSchema]);
export type TrainingTripletRow = z.infer<typeof trainingTripletRowSchema>;

export function isPairTripletRow<R extends TrainingTripletRow>(row: R): row is Extract<R, { chosen: unknown }> {
  return 'chosen' in row;
}
