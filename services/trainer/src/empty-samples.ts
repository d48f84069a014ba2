/**
 * Rows whose sampled response is empty. Within a run the triplets come from our own judge over our
 * own samples, so an empty response is something the policy did (it ended its turn at once: a
 * collapsing iterative DPO does this, see packages/demo), not corrupt data. Failing the whole
 * round on it would stop the run at the very point where the comparison is interesting, so the
 * service drops those rows, counts them in the round's metrics (`train/dropped_empty_rows`) and
 * logs where they were; a round left with no row still fails. `./sppo train` on a user's file keeps
 * the strict check (packages/model preferenceExamplesFromTriplets).
 */
import { isPairTripletRow, type Completion, type TrainingTripletRow } from '@sppo/core';
import type { TripletInput } from './inputs.ts';

/** The sampled text: a bare string, or the last (assistant) message of the official message list. */
function completionText(completion: Completion): string {
  if (typeof completion === 'string') return completion;
  const last = completion.at(-1);
  return last?.role === 'assistant' ? last.content : '';
}

function isEmptySample(row: TrainingTripletRow): boolean {
  if (isPairTripletRow(row)) return completionText(row.chosen).trim() === '' || completionText(row.rejected).trim() === '';
  return completionText(row.response).trim() === '';
}

export function dropEmptySamples(input: TripletInput): { input: TripletInput; dropped: string[] } {
  const kept: number[] = [];
  const dropped: string[] = [];
  input.rows.forEach((row, i) => (isEmptySample(row) ? dropped.push(input.where(i)) : kept.push(i)));
  if (dropped.length === 0) return { input, dropped };
  return { input: { rows: kept.map((i) => input.rows[i]!), where: (j) => input.where(kept[j] ?? j) }, dropped };
}
