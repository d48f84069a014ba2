/**
 * The demo's whole recipe in one place (issue 17): how pi_0 and the judge are built
 * (DEFAULT_ASSET_RECIPE, cached by its hash) and how the run is driven (DEFAULT_RUN_RECIPE, run
 * config fields with TRL's names). packages/demo/README.md explains every choice and what each
 * change did; every choice was made on the validation split (scripts/tune.ts), never on the
 * held-out prompts the report uses.
 */
import type { RunConfigInput } from '@sppo/core';
import type { AssetRecipe } from './assets.ts';

/** What pi_0's two training stages share (TRL SFTConfig names). */
const SFT_ARGS = {
  optim: 'adamw',
  lr_scheduler_type: 'linear',
  warmup_ratio: 0.05,
  per_device_train_batch_size: 32,
  max_length: 48,
  max_prompt_length: 32,
  max_grad_norm: 1,
  seed: 1,
  logging_steps: 10,
} as const;

/**
 * How pi_0 and the judge are built (the first, uncached, build: about 2.5 minutes on 2 quiet cores).
 * - pi_0 in two stages (issue 17, session 5). Stage 1 ("pretraining"): 6000 rows whose answers are
 *   all correct, 12 epochs; the tiny model then answers every validation prompt right (100%, greedy
 *   and sampled). Stage 2 (SFT): the 6000 mixed rows, 50% correct, mistakes only among the words the
 *   prompt lists, 8 epochs at 1e-3; pi_0 then samples 50% correct answers but still knows more than
 *   it says (greedy 59%), the way a pretrained model does. Trained on mixed rows alone (24 epochs,
 *   issue 8 to session 4) pi_0 never learned `pick` (greedy 52%), and SPPO had to teach the rule
 *   from preferences, too slowly to show in three rounds. 50% rather than 60% correct: room for
 *   three rounds of gains (at 60% round 2 already reached 89% correct and round 3 had nothing left).
 *   `sftMistakes: 'listed'`: with any plausible mistake pi_0 learned that an unlisted word may
 *   answer, which the judge cannot tell from the right one (README).
 * - the judge: the mini-PairRM (2 layers, width 64) on 6000 oracle-labelled pairs, 14 epochs, with
 *   two changes (session 5): 20% of its pairs give one answer in two styles (the style cycle alone,
 *   which decides most pairs once both answers are right: those pairs went from 82-91% to 100%
 *   ordered right), and its tokenizer puts a space before each part (`add_prefix_space`, as
 *   PairRM's DeBERTa tokenizer does), so the word opening a candidate ("owl.") has the id it has in
 *   the prompt (" owl"): the copy check the judge lacked became an id match, and it stopped
 *   PREFERRING unlisted answers to the right one (`odd`: 25% -> 33-60% ordered right; README).
 * - a 96-prompt validation split for every choice; a 3600-prompt pool (up to 1200 a round).
 */
export const DEFAULT_ASSET_RECIPE: AssetRecipe = {
  data: {
    seed: 7,
    heldOutPrompts: 96,
    poolPrompts: 3600,
    validationPrompts: 96,
    sftExamples: 6000,
    sftCorrectRate: 0.5,
    sftMistakes: 'listed',
    judgePairs: 6000,
    pretrainExamples: 6000,
    judgeStylePairRate: 0.2,
  },
  policy: {
    preset: 'tiny',
    vocabSize: 384,
    contextLength: 64,
    seed: 1,
    pretrain: { ...SFT_ARGS, learning_rate: 3e-3, num_train_epochs: 12 },
    sft: { ...SFT_ARGS, learning_rate: 1e-3, num_train_epochs: 8 },
  },
  judge: {
    num_train_epochs: 14,
    learning_rate: 2e-3,
    per_device_train_batch_size: 32,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    vocab_size: 1024,
    add_prefix_space: 1,
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
 * - (session 4 took beta 0.1 for the one-stage pi_0; superseded below.)
 * - the official (best, worst) pair per prompt (selection 'extremes'); 'all' (eq. 4.7 on every
 *   sample) was no better at 400 prompts and costs K times the training.
 * - session 5, with the two-stage pi_0 and the new judge: learning rate 5e-4 (was 1e-3: round 1
 *   overshot into answers the prompt does not list, and rounds 2-3 lost what it gained) and beta
 *   0.3 (eta = 3.3, was 0.1: round 1 alone reached 93% correct and rounds 2-3 had nothing left to
 *   show). Validation, oracle vs pi_0: 59.0 / 65.9 / 67.7; each round vs the one before 59.0, 57.0,
 *   53.5 [51.9, 55.1]; beta 0.2 met the targets too (68.2 at round 3, but 52.7 [51.0, 54.4] at
 *   round 3 vs round 2): 0.3 keeps the wider margin on that, the tightest, target. README's table.
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
  beta: 0.3,
  optim: 'adamw',
  learning_rate: 5e-4,
  lr_scheduler_type: 'constant_with_warmup',
  warmup_ratio: 0.1,
  num_train_epochs: 4,
  per_device_train_batch_size: 16,
  gradient_accumulation_steps: 1,
  max_length: 48,
  max_prompt_length: 32,
  seed: 42,
};

