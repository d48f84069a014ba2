/**
 * The demo's whole recipe in one place (issue 17): how pi_0 and the judge are built
 * (DEFAULT_ASSET_RECIPE, cached by its hash) and how the run is driven (DEFAULT_RUN_RECIPE, run
 * config fields with TRL's names). packages/demo/README.md explains every choice and what each
 * change did; every choice was made on the validation split (scripts/tune.ts), never on the
 * held-out prompts the report uses.
 */
import type { RunConfigInput } from '@sppo/core';
import type { AssetRecipe } from './assets.ts';

/**
 * How pi_0 and the judge are built (the first, uncached, build: about 3.5 minutes on 2 cores).
 * - pi_0's SFT rows: 60% correct answers, and mistakes only among the words the prompt lists
 *   (`sftMistakes: 'listed'`, issue 17). With any plausible mistake (issue 8's 70%) pi_0 learned
 *   that an unlisted word may answer and sampled words of other categories, which the judge cannot
 *   tell from the right one (it does not check the list) and prefers, so the rounds drifted there
 *   and correctness fell; 60% instead of 70% leaves room for the rounds to show a gain. 24 epochs
 *   (issue 8: with 10 the tiny model never learned the category rule).
 * - the judge: issue 8's mini-PairRM (4000 oracle-labelled pairs, 10 epochs). Teaching it the copy
 *   check (8000 pairs with unlisted wrong answers, 16 epochs) failed: 31% on those pairs, and worse
 *   on the rest.
 * - a 96-prompt validation split for every choice; a 3600-prompt pool (up to 1200 a round).
 */
export const DEFAULT_ASSET_RECIPE: AssetRecipe = {
  data: { seed: 7, heldOutPrompts: 96, poolPrompts: 3600, validationPrompts: 96, sftExamples: 6000, sftCorrectRate: 0.6, sftMistakes: 'listed', judgePairs: 4000 },
  policy: {
    preset: 'tiny',
    vocabSize: 384,
    contextLength: 64,
    seed: 1,
    sft: {
      optim: 'adamw',
      learning_rate: 3e-3,
      lr_scheduler_type: 'linear',
      warmup_ratio: 0.05,
      num_train_epochs: 24,
      per_device_train_batch_size: 32,
      max_length: 48,
      max_prompt_length: 32,
      max_grad_norm: 1,
      seed: 1,
      logging_steps: 10,
    },
  },
  judge: {
    num_train_epochs: 10,
    learning_rate: 2e-3,
    per_device_train_batch_size: 32,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    vocab_size: 1024,
    max_source_tokens: 32,
    max_candidate_tokens: 16,
    eval_ratio: 0.1,
    seed: 3,
  },
};

/**
 * The demo's run recipe (OUR recipe for a 0.1M-parameter policy, not the official 7B one; see
 * packages/demo/README.md for how it was tuned). Everything else is the run config's default.
 * - 1200 prompts a round (issue 17, was 400): on the validation prompts the only variant whose
 *   every round beat the one before (oracle 51.2 / 53.9 / 54.8 vs pi_0, correct 59% -> 69%); more
 *   prompts generalise to unseen ones where, at 400 prompts, more epochs (8) or bigger steps (beta
 *   0.1) did not.
 * - beta 0.1 (eta = 1/beta = 10, issue 17, was 0.2), chosen on the validation prompts among
 *   K = 8, 8 epochs and beta 0.1 at 1200 prompts a round, by a rule fixed before the runs (the
 *   highest pi_3 win rate among variants whose every round beats the one before): 53.5 / 58.8 /
 *   58.6 vs pi_0, correct 59% -> 73%.
 * - the official (best, worst) pair per prompt (selection 'extremes'); 'all' (eq. 4.7 on every
 *   sample) was no better at 400 prompts and costs K times the training.
 */
export const DEFAULT_RUN_RECIPE: RunConfigInput = {
  num_iterations: 3,
  samples_per_prompt: 5,
  prompts_per_iteration: 1200,
  prompts_per_shard: 300,
  temperature: 1,
  top_p: 0.9,
  max_new_tokens: 16,
  loss_type: 'sppo',
  selection: 'extremes',
  beta: 0.1,
  optim: 'adamw',
  learning_rate: 1e-3,
  lr_scheduler_type: 'constant_with_warmup',
  warmup_ratio: 0.1,
  num_train_epochs: 4,
  per_device_train_batch_size: 16,
  gradient_accumulation_steps: 1,
  max_length: 48,
  max_prompt_length: 32,
  seed: 42,
};

