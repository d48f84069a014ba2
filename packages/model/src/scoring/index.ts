export { DEFAULT_SCORE_BUCKET, planScoreBatches } from './plan.ts';
export type { PlanScoreBatchesOptions, ScoreBatchPlan } from './plan.ts';
export { splitLastAssistant, tokenizeScoreRow } from './rows.ts';
export type { ScoreRowText, TokenizedScoreRow, TokenizeScoreRowOptions } from './rows.ts';
export { createSequenceScorer } from './scorer.ts';
export type { ScoreBatchInfo, SequenceScorer, SequenceScorerOptions, SequenceScores } from './scorer.ts';
