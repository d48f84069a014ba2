/**
 * Options of `judge-train` (mini-PairRM training), TRL/HF TrainingArguments names where they
 * exist. Defaults suit the tiny synthetic tasks on 2 CPU cores (measured: the 'rps' task reaches
 * ~99% held-out accuracy in 250 steps); real data wants a bigger model.
 */

export interface JudgeTrainArgs {
  // ---- training (HF TrainingArguments names)
  learning_rate: number;
  num_train_epochs: number;
  /** > 0 overrides num_train_epochs. */
  max_steps: number;
  per_device_train_batch_size: number;
  warmup_ratio: number;
  lr_scheduler_type: 'linear' | 'cosine' | 'constant' | 'constant_with_warmup';
  weight_decay: number;
  max_grad_norm: number;
  seed: number;
  logging_steps: number;
  /** Fraction of pairs held out for evaluation (accuracy in metrics.json). */
  eval_ratio: number;
  // ---- model (ignored when continuing from an existing judge)
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Std of the normal init (HF initializer_range). */
  initializer_range: number;
  /** Size of the BPE tokenizer trained on the data. */
  vocab_size: number;
  /**
   * 1: the tokenizer puts a space before each part (HF ByteLevel add_prefix_space), so the answer
   * word that opens a candidate ("owl.") has the same id as in the prompt (" owl"), as PairRM's
   * DeBERTa-v3 sentencepiece gives it; a copy check against the prompt is then an id match. 0: off.
   */
  add_prefix_space: number;
  // ---- inputs (PairRM's source_maxlength / candidate_maxlength, scaled down)
  max_source_tokens: number;
  max_candidate_tokens: number;
}

export const DEFAULT_JUDGE_TRAIN_ARGS: JudgeTrainArgs = {
  learning_rate: 3e-3,
  num_train_epochs: 3,
  max_steps: 0,
  per_device_train_batch_size: 16,
  warmup_ratio: 0.1,
  lr_scheduler_type: 'linear',
  weight_decay: 0,
  max_grad_norm: 1,
  seed: 42,
  logging_steps: 10,
  eval_ratio: 0.1,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  // Far above HF's 0.02 (meant for H >= 768): with tiny q/k the attention starts uniform, both
  // candidate markers then see the same context, the logit cannot depend on content (a saddle), and
  // training on the synthetic tasks sat at log 2 for hundreds of steps.
  initializer_range: 0.3,
  vocab_size: 512,
  add_prefix_space: 0,
  max_source_tokens: 64,
  max_candidate_tokens: 48,
};

const SCHEDULES = ['linear', 'cosine', 'constant', 'constant_with_warmup'] as const;
const INTEGER_KEYS = new Set<keyof JudgeTrainArgs>([
  'num_train_epochs',
  'max_steps',
  'per_device_train_batch_size',
  'seed',
  'logging_steps',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'vocab_size',
  'add_prefix_space',
  'max_source_tokens',
  'max_candidate_tokens',
]);

/** Applies `--key=value` strings to the defaults; throws one Error listing every problem and the valid keys. */
export function parseJudgeTrainArgs(overrides: Readonly<Record<string, string | number>>, base: JudgeTrainArgs = DEFAULT_JUDGE_TRAIN_ARGS): JudgeTrainArgs {
  const out: Record<string, unknown> = { ...base };
  const problems: string[] = [];
  const valid = Object.keys(DEFAULT_JUDGE_TRAIN_ARGS);
  for (const [key, raw] of Object.entries(overrides)) {
    if (!valid.includes(key)) {
      problems.push(`unknown option ${key}; valid: ${valid.join(', ')}`);
      continue;
    }
    if (key === 'lr_scheduler_type') {
      if (!(SCHEDULES as readonly string[]).includes(String(raw))) problems.push(`lr_scheduler_type ${JSON.stringify(raw)}: use one of ${SCHEDULES.join(', ')}`);
      else out[key] = String(raw);
      continue;
    }
    const value = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isFinite(value) || (INTEGER_KEYS.has(key as keyof JudgeTrainArgs) && !Number.isInteger(value)) || value < 0) {
      problems.push(`${key} ${JSON.stringify(raw)}: use a non-negative ${INTEGER_KEYS.has(key as keyof JudgeTrainArgs) ? 'integer' : 'number'}`);
      continue;
    }
    out[key] = value;
  }
  const args = out as unknown as JudgeTrainArgs;
  if (args.per_device_train_batch_size < 1) problems.push('per_device_train_batch_size must be >= 1');
  if (args.eval_ratio >= 1) problems.push('eval_ratio must be below 1');
  if (args.warmup_ratio > 1) problems.push('warmup_ratio must be in [0, 1]');
  if (args.add_prefix_space > 1) problems.push(`add_prefix_space ${args.add_prefix_space}: use 0 (off) or 1 (on)`);
  if (args.num_train_epochs < 1 && args.max_steps < 1) problems.push('give num_train_epochs >= 1 or max_steps >= 1');
  if (problems.length > 0) throw new Error(`Invalid judge-train options:\n  - ${problems.join('\n  - ')}`);
  return args;
}
