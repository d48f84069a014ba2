/**
 * Training-argument presets, applied below the recipe and the `--key=value` overrides:
 *   schema defaults < preset < recipe / run config < overrides.
 *
 * - `official`: the published SPPO runs (SPPO-REFERENCE 2.6): RMSprop, lr 5e-7, linear schedule,
 *   warmup 0.1, 1 epoch, and a global batch of 64 (8 GPUs x 8 there; 8 x 8 accumulation here).
 * - `official-18`: the same with the model cards' reading "num_train_epochs: 18.0 (stop at
 *   epoch=1.0)": the LR schedule spans 18 epochs and training stops after one, so the whole epoch
 *   is spent in warmup (SPPO-REFERENCE 2.6, "Schedule discrepancy").
 * - `tiny`: settings that visibly move a model of ~0.1-3M parameters in a few dozen steps (the
 *   official lr 5e-7 barely changes it): AdamW lr 1e-3, short warmup, short sequences.
 */
import { parseTrainingArgs, type TrainingArgs, type TrainingArgsInput } from '@sppo/core';

export const TRAINING_PRESET_NAMES = ['official', 'official-18', 'tiny'] as const;
export type TrainingPresetName = (typeof TRAINING_PRESET_NAMES)[number];

export const TRAINING_PRESETS: Record<TrainingPresetName, TrainingArgsInput> = {
  official: { gradient_accumulation_steps: 8 },
  'official-18': { gradient_accumulation_steps: 8, schedule_num_train_epochs: 18 },
  tiny: {
    optim: 'adamw',
    learning_rate: 1e-3,
    weight_decay: 0,
    warmup_ratio: 0.05,
    lr_scheduler_type: 'linear',
    per_device_train_batch_size: 4,
    max_length: 256,
    max_prompt_length: 128,
    save_steps: 20,
  },
};

export function isTrainingPresetName(name: string): name is TrainingPresetName {
  return (TRAINING_PRESET_NAMES as readonly string[]).includes(name);
}

/** The preset's fields (a copy), or a clear error listing the valid names. */
export function trainingPreset(name: string): TrainingArgsInput {
  if (!isTrainingPresetName(name)) {
    throw new Error(`Unknown training preset ${JSON.stringify(name)}. Should be one of: ${TRAINING_PRESET_NAMES.join(', ')}`);
  }
  return { ...TRAINING_PRESETS[name] };
}

/** Validated training args: schema defaults < preset < given fields. Throws core's ConfigError. */
export function resolveTrainingArgs({ preset, args = {} }: { preset?: string; args?: TrainingArgsInput } = {}): TrainingArgs {
  return parseTrainingArgs({ ...(preset === undefined ? {} : trainingPreset(preset)), ...args });
}
