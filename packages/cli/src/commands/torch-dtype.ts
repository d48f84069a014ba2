// `--torch_dtype` of `./sppo sft` and `./sppo train` (transformers' name): the dtype the next
// checkpoint's model.safetensors is written in. By default a checkpoint keeps its source dtype
// (config.json torch_dtype: a bf16 base gives a bf16 next checkpoint); this overrides it.
// Training itself always computes in float32.
import { TORCH_DTYPES, type Checkpoint } from '@sppo/model';
import type { ParsedArgs } from '../args.ts';
import { UsageError } from '../errors.ts';

/** Takes `--torch_dtype` out of the parsed options (so the run-config parser never sees it). */
export function takeTorchDtype(args: ParsedArgs): string | undefined {
  const value = args.options.get('torch_dtype');
  if (value === undefined) return undefined;
  args.options.delete('torch_dtype');
  if (!TORCH_DTYPES.includes(value)) throw new UsageError(`--torch_dtype ${JSON.stringify(value)} is not supported; valid values: ${TORCH_DTYPES.join(', ')}`);
  return value;
}

/** The checkpoint with its config's torch_dtype replaced (what the next checkpoint is written in). */
export function withTorchDtype(checkpoint: Checkpoint, torchDtype: string | undefined): Checkpoint {
  return torchDtype === undefined ? checkpoint : { ...checkpoint, config: { ...checkpoint.config, torch_dtype: torchDtype } };
}
