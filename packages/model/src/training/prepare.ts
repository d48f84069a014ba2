/**
 * Rows -> tokenized training data in one call, for the `sft` / `train` commands and the trainer
 * service: validation of every row (rows.ts), then chat template + truncation (examples.ts).
 */
import { parseJsonl, toValidationIssues, trainingTripletRowSchema, ValidationError, type TrainingTripletRow, type ValidationIssue } from '@sppo/core';
import {
  tokenizePairExamples,
  tokenizeResponseExamples,
  tokenizeSftExamples,
  type TokenizeExamplesOptions,
  type TrainingData,
  type TruncationStats,
} from './examples.ts';
import { preferenceExamplesFromTriplets, sftExamplesFromRows } from './rows.ts';

export interface PreparedData {
  data: TrainingData;
  stats: TruncationStats;
}

export function prepareSftData(rows: readonly unknown[], options: TokenizeExamplesOptions, where?: (index: number) => string): PreparedData {
  return tokenizeSftExamples(sftExamplesFromRows(rows, where), options);
}

export function preparePreferenceData(rows: readonly TrainingTripletRow[], options: TokenizeExamplesOptions, where?: (index: number) => string): PreparedData {
  const text = preferenceExamplesFromTriplets(rows, where);
  return text.kind === 'pair' ? tokenizePairExamples(text.examples, options) : tokenizeResponseExamples(text.examples, options);
}

/** JSONL text -> plain objects; every line that is not JSON is reported (core ValidationError). */
export function parseJsonLines(text: string, subject = 'JSONL file'): unknown[] {
  const rows: unknown[] = [];
  const issues: ValidationIssue[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      rows.push(JSON.parse(line) as unknown);
    } catch (e) {
      issues.push({ path: `line ${i + 1}`, message: `not JSON: ${(e as Error).message}` });
    }
  });
  if (issues.length > 0) throw new ValidationError(subject, issues);
  return rows;
}

/**
 * JSONL text of triplet rows (ARCHITECTURE 3.3, or only the official training columns: core's
 * trainingPairRowSchema), every bad line reported.
 */
export function parseTripletJsonl(text: string, subject = 'triplets file'): TrainingTripletRow[] {
  return parseJsonl(text, trainingTripletRowSchema, { subject });
}

/**
 * Decoded triplet rows (a Parquet file's, e.g. the official synthetic_data_*_score train.parquet),
 * every bad row reported as `row i` (0-based, like pandas' iloc).
 */
export function parseTripletObjects(values: readonly unknown[], subject = 'triplets file'): TrainingTripletRow[] {
  const rows: TrainingTripletRow[] = [];
  const issues: ValidationIssue[] = [];
  values.forEach((value, i) => {
    const result = trainingTripletRowSchema.safeParse(value, { reportInput: true });
    if (result.success) rows.push(result.data);
    else for (const issue of toValidationIssues(result.error.issues, trainingTripletRowSchema)) issues.push({ ...issue, path: issue.path === '' ? `row ${i}` : `row ${i}: ${issue.path}` });
  });
  if (issues.length > 0) throw new ValidationError(subject, issues);
  return rows;
}
