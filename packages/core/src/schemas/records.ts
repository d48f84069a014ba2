/**
 * Small JSON records stored beside the shards: the round manifest (ARCHITECTURE 3.2, written once
 * when a round starts), the run status and failure records (dead-lettered units with reasons, so
 * the gateway can show them).
 */
import { z } from 'zod';
import { runConfigSchema } from '../config/run-config.ts';
import { roundSchema, runIdSchema, shardSchema } from '../ids.ts';
import { stageSchema } from './messages.ts';

const isoTimestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp, e.g. 2026-01-31T12:00:00.000Z.');

export const manifestShardSchema = z.object({
  shard: shardSchema,
  prompt_ids: z.array(z.string().min(1)).min(1).describe('Ids (from the run\'s prompt pool) of the prompts in this shard, in order.'),
});

export const roundManifestSchema = z
  .object({
    run_id: runIdSchema,
    round: roundSchema,
    checkpoint_key: z.string().min(1).describe('Prefix of the checkpoint this round samples from and references: runs/{run}/checkpoints/{round}/.'),
    shards: z.array(manifestShardSchema).min(1).describe('Every shard of the round; a stage is complete when each has its output.'),
    created_at: isoTimestamp,
    config: runConfigSchema.describe('The resolved run config (STYLE guideline 5: written with every artefact).'),
  })
  .superRefine((manifest, ctx) => {
    // Shard ids are 0..n-1 so hosts can list "shard={i}" keys and compare counts.
    manifest.shards.forEach((entry, index) => {
      if (entry.shard !== index) {
        ctx.addIssue({ code: 'custom', path: ['shards', index, 'shard'], message: `shard ids must be 0..${manifest.shards.length - 1} in order; entry ${index} has shard ${entry.shard}` });
      }
    });
  });
export type RoundManifest = z.infer<typeof roundManifestSchema>;

export const RUN_STATUSES = ['running', 'cancelled', 'completed', 'failed'] as const;
export const runStatusValueSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof runStatusValueSchema>;

/** runs/{run}/status.json: written only by executing the state machine's set_status / complete_run. */
export const runStatusRecordSchema = z.object({
  run_id: runIdSchema,
  status: runStatusValueSchema,
  updated_at: isoTimestamp,
  reason: z.string().optional(),
});
export type RunStatusRecord = z.infer<typeof runStatusRecordSchema>;

/** runs/{run}/failures/{stage}-{round}[-{shard}].json */
export const failureRecordSchema = z.object({
  run_id: runIdSchema,
  round: roundSchema,
  stage: stageSchema,
  shard: shardSchema.optional(),
  reason: z.string(),
  failed_at: isoTimestamp,
});
export type FailureRecord = z.infer<typeof failureRecordSchema>;
