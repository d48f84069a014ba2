/**
 * Per-round metrics (runs/{run}/round={t}/metrics.json). Names follow TRL (`loss`, `rewards/chosen`,
 * `logps/rejected`, ...; SPPO's trainer.py logs the same) plus ours under `generation/` and `judge/`
 * (STYLE guideline 10).
 */
import { z } from 'zod';
import { roundSchema, runIdSchema } from '../ids.ts';

/** TRL DPOTrainer / SPPOTrainer metric names logged per optimizer step. */
export const TRAINING_METRIC_NAMES = [
  'loss',
  'rewards/chosen',
  'rewards/rejected',
  'rewards/accuracies',
  'rewards/margins',
  'logps/chosen',
  'logps/rejected',
  'grad_norm',
  'learning_rate',
] as const;

/** Our judge metrics, means over a round's prompts (judgeMetricsFromTriplets, and the judge service's response lengths). */
export const JUDGE_METRIC_NAMES = [
  'judge/prompts',
  'judge/chosen_probs',
  'judge/chosen_probs_win',
  'judge/chosen_probs_lose',
  'judge/ties',
  // response lengths in tokens (services/judge responseLengthMetrics): all K, chosen, rejected
  'judge/response_tokens',
  'judge/chosen_tokens',
  'judge/rejected_tokens',
] as const;

const finite = z.number().refine(Number.isFinite, { message: 'metric must be a finite number' });

/** One entry of the trainer's log history (HF `log_history` style): step, epoch and TRL metrics. */
export const trainingLogEntrySchema = z
  .object({
    step: z.number().int().min(0),
    epoch: z.number().min(0),
    loss: finite,
    'rewards/chosen': finite,
    'rewards/rejected': finite,
    'rewards/accuracies': z.number().min(0).max(1),
    'rewards/margins': finite,
    'logps/chosen': finite,
    'logps/rejected': finite,
    grad_norm: z.number().min(0),
    learning_rate: z.number().min(0),
  })
  .catchall(z.number());
export type TrainingLogEntry = z.infer<typeof trainingLogEntrySchema>;

export const roundMetricsSchema = z.object({
  run_id: runIdSchema,
  round: roundSchema,
  generation: z.record(z.string(), z.number()).optional().describe('e.g. generation/mean_response_tokens, generation/truncated_fraction.'),
  judge: z.record(z.string(), z.number()).optional().describe('JUDGE_METRIC_NAMES and any other judge/* values.'),
  train: z
    .object({
      log_history: z.array(trainingLogEntrySchema),
      summary: z.record(z.string(), z.number()).optional().describe('e.g. train/steps, train/runtime_s, final loss.'),
    })
    .optional(),
});
export type RoundMetrics = z.infer<typeof roundMetricsSchema>;
