/**
 * A round's triplet rows, paged straight from its S3 shards (GET /v1/runs/{id}/rounds/{t}/samples):
 * the dashboard's samples page and anyone who wants to look at what the judge preferred without
 * S3 credentials. The cursor is `{shard}.{line}` (the next row to read), so a page is one or a few
 * shard reads and pages stay stable while later shards are still being written.
 */
import { isPairTripletRow, selectPair, tripletRowSchema, tripletShardKey, winRates, type TripletRow } from '@sppo/core';
import type { z } from 'zod';
import type { samplePageSchema, sampleSchema } from '../api/schemas.ts';
import { notFound } from '../http/errors.ts';
import type { RunStore } from '../ports.ts';
import { loadRun } from '../automation/load.ts';
import { CorruptRecordError, type RunRecord } from './record.ts';

export type Sample = z.infer<typeof sampleSchema>;
export type SamplePage = z.infer<typeof samplePageSchema>;

function parseCursor(cursor: string | undefined): { shard: number; line: number } {
  if (cursor === undefined) return { shard: 0, line: 1 };
  const [shard, line] = cursor.split('.').map(Number);
  return { shard: shard ?? 0, line: Math.max(1, line ?? 1) };
}

function toSample(shard: number, line: number, row: TripletRow, estimator: 'include_self' | 'exclude_self'): Sample {
  const sample: Sample = { shard, line, row, win_rates: winRates(row.probability, estimator) };
  if (isPairTripletRow(row)) {
    // The same choice the judge made (core's buildTriplets: argmax / argmin of rm_scores).
    const { winner, loser } = selectPair(row.rm_scores);
    sample.chosen_index = winner;
    sample.rejected_index = loser;
  }
  return sample;
}

export async function listSamples(store: RunStore, record: RunRecord, t: number, { limit, cursor }: { limit: number; cursor?: string }): Promise<SamplePage> {
  if (t >= record.config.num_iterations) throw notFound(`round ${t} of run ${record.run_id} (it has rounds 0..${record.config.num_iterations - 1})`);
  const run = await loadRun(store, record.run_id);
  if (run === null) throw notFound(`run ${record.run_id}`);
  const existing = new Set(run.objects.map((o) => o.key));
  const samples: Sample[] = [];
  let { shard, line } = parseCursor(cursor);
  for (; shard < run.shardCount && samples.length < limit; shard++, line = 1) {
    const key = tripletShardKey(record.run_id, t, shard);
    if (!existing.has(key)) continue;
    const text = (await store.getText(key)) ?? '';
    const lines = text.split('\n');
    for (let i = line - 1; i < lines.length && samples.length < limit; i++) {
      const raw = lines[i] ?? '';
      if (raw.trim() === '') continue;
      // The judge writes only rows that pass this schema; anything else is corruption, not user error.
      let parsed;
      try {
        parsed = tripletRowSchema.safeParse(JSON.parse(raw));
      } catch (error) {
        throw new CorruptRecordError(`${key} line ${i + 1}`, (error as Error).message);
      }
      if (!parsed.success) throw new CorruptRecordError(`${key} line ${i + 1}`, parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
      samples.push(toSample(shard, i + 1, parsed.data, record.config.win_rate_estimator));
      line = i + 2;
    }
    if (samples.length >= limit) {
      // Stop on this shard; the next page starts after the last row read (if there is more).
      const more = lines.slice(line - 1).some((raw) => raw.trim() !== '') || shard + 1 < run.shardCount;
      return { run_id: record.run_id, round: t, samples, ...(more ? { next_cursor: nextCursor(lines, shard, line) } : {}) };
    }
  }
  return { run_id: record.run_id, round: t, samples };
}

/** The cursor after a full page: the rest of this shard, or the start of the next one. */
function nextCursor(lines: readonly string[], shard: number, line: number): string {
  return lines.slice(line - 1).some((raw) => raw.trim() !== '') ? `${shard}.${line}` : `${shard + 1}.1`;
}
