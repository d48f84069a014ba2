/**
 * The pairwise preference oracle of every SPPO round (SPPO-REFERENCE 2.2 steps 6-8, section 3): a
 * judge returns, for each (prompt, candidate1, candidate2), the logit that candidate 1 beats
 * candidate 2, as PairRM's `CrossCompareReranker._forward` does (positive = candidate 1 better).
 */

export interface PairwiseExample {
  prompt: string;
  candidate1: string;
  candidate2: string;
}

export interface PairwiseJudge {
  /** A short name for logs and metrics, e.g. `rule:rps` or the model folder. */
  readonly name: string;
  /** One logit per example, in order; C[i][j] of SPPO-REFERENCE 3.4 when candidate1 = y_i, candidate2 = y_j. */
  compare(batch: readonly PairwiseExample[]): Promise<number[]>;
  /** Frees sessions / worker threads; a judge without resources may omit it. */
  close?(): Promise<void>;
}
