/**
 * What a finished run's evaluation stage (issue 21) left in the bucket, for the fault tests: for
 * each evaluated round, its manifest's eval shards, every compared checkpoint's samples (one row
 * per evaluation prompt) and the judgment rows (one per prompt and sample), and the metrics.
 * Lost or duplicated rows are counted like rowDefects does for the training shards.
 */
import type { ObjectStore } from '@sppo/cloud';
import {
  evalGenerationRowSchema,
  evalGenerationShardKey,
  evalJudgmentRowSchema,
  evalJudgmentShardKey,
  evalManifestKey,
  evalManifestSchema,
  evalMetricsKey,
  evalPolicyList,
} from '@sppo/core';

export interface EvalAudit {
  /** Evaluated rounds with their metrics written. */
  metricsWritten: number;
  lost: number;
  duplicated: number;
  details: string[];
}

export async function auditEvaluation(objects: ObjectStore, runId: string, rounds: readonly number[]): Promise<EvalAudit> {
  const audit: EvalAudit = { metricsWritten: 0, lost: 0, duplicated: 0, details: [] };
  const count = (where: string, counts: Map<string, number>, expected: readonly string[]): void => {
    for (const id of expected) {
      const n = counts.get(id) ?? 0;
      if (n === 0) {
        audit.lost += 1;
        audit.details.push(`${where}: no row for ${id}`);
      } else if (n > 1) {
        audit.duplicated += n - 1;
        audit.details.push(`${where}: ${n} rows for ${id}`);
      }
    }
  };
  for (const t of rounds) {
    const manifest = await objects.getJson(evalManifestKey(runId, t), evalManifestSchema);
    for (const { shard, prompt_ids } of manifest.shards) {
      for (const c of evalPolicyList(t)) {
        const { rows, errors } = await objects.readJsonl(evalGenerationShardKey(runId, c, shard), evalGenerationRowSchema);
        if (errors.length > 0) throw new Error(`bad eval sample rows of checkpoint ${c} shard ${shard}: ${JSON.stringify(errors)}`);
        const counts = new Map<string, number>();
        for (const row of rows) counts.set(row.prompt_id, (counts.get(row.prompt_id) ?? 0) + 1);
        count(`checkpoint ${c} eval samples shard ${shard}`, counts, prompt_ids);
      }
      const { rows, errors } = await objects.readJsonl(evalJudgmentShardKey(runId, t, shard), evalJudgmentRowSchema);
      if (errors.length > 0) throw new Error(`bad judgment rows of round ${t} shard ${shard}: ${JSON.stringify(errors)}`);
      const counts = new Map<string, number>();
      for (const row of rows) counts.set(`${row.prompt_id}#${row.sample}`, (counts.get(`${row.prompt_id}#${row.sample}`) ?? 0) + 1);
      const samples = manifest.config.eval_samples_per_prompt;
      count(`round ${t} judgments shard ${shard}`, counts, prompt_ids.flatMap((id) => Array.from({ length: samples }, (_, k) => `${id}#${k}`)));
    }
    if (await objects.exists(evalMetricsKey(runId, t))) audit.metricsWritten += 1;
  }
  return audit;
}
