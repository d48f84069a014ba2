/**
 * Training arguments: the `training` group of the run config (ARCHITECTURE 3.1), reused on its own
 * by the `sft` / `train` commands. Field names follow TRL's DPOConfig / HF TrainingArguments;
 * defaults are the official SPPO runs' values (SPPO-REFERENCE 2.6: the run_sppo_*.sh overrides).
 */
import { z } from 'zod';
import { whenFieldsValid } from './refine.ts';

export const LOSS_TYPES = ['sppo', 'sppo_single', 'sppo_hard', 'sigmoid', 'ipo'] as const;
export const OPTIMIZERS = ['rmsprop', 'adamw'] as const;
export const LR_SCHEDULER_TYPES = ['linear', 'cosine', 'constant', 'constant_with_warmup'] as const;
export const TRUNCATION_MODES = ['keep_end', 'keep_start'] as const;
/** HF names of the decoder's linear modules that LoRA may target (PEFT target_modules), or all-linear. */
export const LORA_TARGET_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj', 'all-linear'] as const;

/** The plain field shape, so runConfigSchema can compose it into one flat, strict object. */
export const trainingArgsShape = {
  // --- loss ---
  loss_type: z
    .enum(LOSS_TYPES)
    .default('sppo')
    .describe(
      "Loss: 'sppo' (official, eq. 4.7 on winner and loser with their K-sample win rates), 'sppo_single' (winner-vs-loser probability only), 'sppo_hard' (TRL, hard labels), 'sigmoid' (DPO), 'ipo' (summed log-probs, as the SPPO repo).",
    ),
  beta: z
    .number()
    .positive()
    .default(0.001)
    .describe('beta = 1/eta, eta being the game learning rate of eq. (4.7); the official runs use 0.001 (eta = 1000).'),
  label_smoothing: z
    .number()
    .min(0)
    .max(0.5)
    .default(0)
    .describe("DPO label smoothing (conservative DPO) for loss_type 'sigmoid'; 0 turns it off. Must be in [0, 0.5]."),

  // --- optimisation ---
  learning_rate: z.number().positive().default(5e-7).describe('Peak learning rate (official: 5e-7).'),
  optim: z
    .enum(OPTIMIZERS)
    .default('rmsprop')
    .describe("Optimizer: 'rmsprop' (official; torch RMSprop with alpha, eps, no momentum) or 'adamw'."),
  weight_decay: z.number().min(0).default(0).describe('Decoupled weight decay (HF default 0).'),
  adam_beta1: z.number().min(0).max(1).default(0.9).describe('AdamW beta1 (HF default 0.9).'),
  adam_beta2: z.number().min(0).max(1).default(0.999).describe('AdamW beta2 (HF default 0.999).'),
  adam_epsilon: z.number().positive().default(1e-8).describe('AdamW epsilon (HF default 1e-8).'),
  rmsprop_alpha: z.number().min(0).max(1).default(0.99).describe('RMSprop smoothing constant (torch default 0.99).'),
  rmsprop_epsilon: z.number().positive().default(1e-8).describe('RMSprop epsilon (torch default 1e-8).'),
  max_grad_norm: z.number().min(0).default(1.0).describe('Clip the global gradient norm to this; 0 turns clipping off.'),

  // --- schedule ---
  lr_scheduler_type: z
    .enum(LR_SCHEDULER_TYPES)
    .default('linear')
    .describe('Learning-rate schedule after warmup (HF names); official: linear decay to 0.'),
  warmup_ratio: z.number().min(0).max(1).default(0.1).describe('Fraction of the schedule spent in linear warmup (official 0.1).'),
  warmup_steps: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Warmup steps; when > 0 it overrides warmup_ratio (HF semantics).'),
  num_train_epochs: z
    .number()
    .positive()
    .default(1)
    .describe('Epochs actually trained per round over that round\'s triplets (official run scripts: 1).'),
  schedule_num_train_epochs: z
    .number()
    .positive()
    .optional()
    .describe(
      'If set, the LR schedule (warmup and decay) spans this many epochs while training stops after num_train_epochs: the model cards\' "num_train_epochs: 18.0 (stop at epoch=1.0)" reading (SPPO-REFERENCE 2.6). Must be >= num_train_epochs.',
    ),

  // --- batching ---
  per_device_train_batch_size: z.number().int().min(1).default(8).describe('Pairs per device per micro-batch (official 8).'),
  gradient_accumulation_steps: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe('Micro-batches accumulated per optimizer step (official 1; global batch 64 came from 8 GPUs).'),

  // --- sequence lengths (TRL DPO tokenization, SPPO-REFERENCE 2.3) ---
  max_length: z.number().int().min(2).default(1024).describe('Max prompt + response tokens per sequence (official 1024).'),
  max_prompt_length: z
    .number()
    .int()
    .min(1)
    .default(512)
    .describe('Max prompt tokens kept when prompt + response exceed max_length (official 512). Must be < max_length.'),
  max_completion_length: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Max response tokens; unset means max_length - max_prompt_length (official behaviour).'),
  truncation_mode: z
    .enum(TRUNCATION_MODES)
    .default('keep_end')
    .describe("How a long prompt is cut: 'keep_end' keeps its last tokens (official), 'keep_start' its first."),

  // --- bookkeeping ---
  seed: z.number().int().min(0).default(42).describe('Seed for data shuffling and initialisation (official 42).'),
  save_steps: z
    .number()
    .int()
    .min(1)
    .default(50)
    .describe('Write resumable trainer state (parameters, optimizer moments, step) every N optimizer steps.'),
  logging_steps: z.number().int().min(1).default(1).describe('Log TRL-named metrics every N optimizer steps.'),

  // --- LoRA adapters on a frozen base (TRL ModelConfig's names, PEFT LoraConfig semantics) ---
  use_peft: z
    .boolean()
    .default(false)
    .describe(
      'Train a LoRA adapter on the frozen pi_t instead of every weight (TRL use_peft). The reference is the same base with the adapter off; the round writes the adapter in PEFT format (adapter/) and the merged checkpoint.',
    ),
  lora_r: z.number().int().min(1).default(16).describe('LoRA rank r (TRL default 16).'),
  lora_alpha: z.number().positive().default(32).describe('LoRA alpha; the update is scaled by lora_alpha / lora_r (TRL default 32).'),
  lora_dropout: z.number().min(0).lt(1).default(0.05).describe('Dropout on the adapter input only, in [0, 1) (TRL default 0.05).'),
  lora_target_modules: z
    .array(z.enum(LORA_TARGET_MODULES))
    .min(1)
    .refine((m) => !m.includes('all-linear') || m.length === 1, { message: "'all-linear' stands alone: it already covers every projection" })
    .default(['q_proj', 'v_proj'])
    .describe(
      "Linear modules that get adapters, by HF name: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or 'all-linear' (every projection, not lm_head). Default q_proj,v_proj (PEFT's Llama default).",
    ),
};

type TrainingArgsLike = {
  max_length: number;
  max_prompt_length: number;
  num_train_epochs: number;
  schedule_num_train_epochs?: number | undefined;
};

/** Cross-field rules shared by trainingArgsSchema and runConfigSchema. */
export function checkTrainingArgs(value: TrainingArgsLike, ctx: z.RefinementCtx): void {
  if (value.max_prompt_length >= value.max_length) {
    ctx.addIssue({
      code: 'custom',
      path: ['max_prompt_length'],
      message: `max_prompt_length (${value.max_prompt_length}) must be smaller than max_length (${value.max_length}) so the response keeps some tokens`,
    });
  }
  if (value.schedule_num_train_epochs !== undefined && value.schedule_num_train_epochs < value.num_train_epochs) {
    ctx.addIssue({
      code: 'custom',
      path: ['schedule_num_train_epochs'],
      message: `schedule_num_train_epochs (${value.schedule_num_train_epochs}) must be >= num_train_epochs (${value.num_train_epochs}); leave it unset for a schedule over the trained epochs`,
    });
  }
}

/** Fields read by checkTrainingArgs; it runs whenever these are valid, whatever else is wrong. */
export const TRAINING_CROSS_FIELDS = ['max_length', 'max_prompt_length', 'num_train_epochs', 'schedule_num_train_epochs'] as const;

export const trainingArgsSchema = z
  .strictObject(trainingArgsShape)
  .superRefine(checkTrainingArgs, { when: whenFieldsValid(TRAINING_CROSS_FIELDS) });

export type TrainingArgs = z.output<typeof trainingArgsSchema>;
export type TrainingArgsInput = z.input<typeof trainingArgsSchema>;
