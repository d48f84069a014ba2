// `./sppo train --model DIR --triplets FILE.jsonl [--out DIR] [--preset NAME] [--config FILE] [--key=value ...]`:
// one SPPO round outside the services: pi_{t+1} trained from pi_t (--model) with pi_t frozen as the
// reference, on a triplets file as the judge writes it (ARCHITECTURE 3.3: official pair rows, or
// selection-'all' rows with one win_rate each). --loss_type picks sppo (default), sppo_single,
// sppo_hard, sigmoid (DPO) or ipo. Same options, progress and output as `sft`.
// The file is JSONL or Parquet, and only the official training columns are required: prompt,
// chosen, rejected, chosen_probs, chosen_probs_win, chosen_probs_lose (core's trainingPairRowSchema),
// so the official synthetic_data_*_score train.parquet trains as it is.
import { parseTripletJsonl, parseTripletObjects, preparePreferenceData } from '@sppo/model';
import { parseArgs } from '../args.ts';
import { readDataFile } from '../data-file.ts';
import { UsageError } from '../errors.ts';
import { asUsage, intOption, loadBaseCheckpoint, resolveCliTrainingArgs, runTrainingCommand, takeOption, takeRequired } from './sft.ts';
import { takeTorchDtype, withTorchDtype } from './torch-dtype.ts';

const USAGE =
  './sppo train --model DIR --triplets FILE.jsonl [--out DIR] [--preset official|official-18|tiny] [--config FILE] [--state-dir DIR] [--threads N] [--torch_dtype float32|bfloat16|float16] [--overwrite] [--key=value ...]';

export async function runTrain(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, { flagNames: ['overwrite'] });
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}. Usage: ${USAGE}`);
  const model = takeRequired(parsed, 'model', USAGE);
  const tripletsPath = takeRequired(parsed, 'triplets', USAGE);
  const outOption = takeOption(parsed, 'out');
  const stateDir = takeOption(parsed, 'state-dir');
  const threads = intOption(takeOption(parsed, 'threads'), 'threads', 1);
  const torchDtype = takeTorchDtype(parsed);
  const resolved = await resolveCliTrainingArgs(parsed);
  const out = outOption ?? `${model.replace(/[/\\]+$/, '')}-${resolved.args.loss_type}`;
  const checkpoint = withTorchDtype(await loadBaseCheckpoint(model), torchDtype);
  const file = await readDataFile(tripletsPath, 'triplets');
  const prepared = asUsage(() => {
    const subject = `--triplets ${tripletsPath}`;
    const rows = file.kind === 'jsonl' ? parseTripletJsonl(file.text, subject) : parseTripletObjects(file.rows, subject);
    return preparePreferenceData(rows, { tokenizer: checkpoint.tokenizer, args: resolved.args, ...(resolved.chatTemplate ? { chatTemplate: resolved.chatTemplate } : {}) }, (i) => `row ${i + 1}`);
  });
  try {
    await runTrainingCommand({ name: 'train', checkpoint, prepared, resolved, out, stateDir, threads, overwrite: parsed.flags.has('overwrite'), provenance: { task: 'train', model_name_or_path: model, triplets: tripletsPath, ...(torchDtype ? { torch_dtype: torchDtype } : {}) } });
  } catch (e) {
    // A loss type that cannot use these rows (e.g. sigmoid on selection-'all' rows) is the user's to fix.
    if (e instanceof Error && /per-response rows/.test(e.message)) throw new UsageError(e.message);
    throw e;
  }
  return 0;
}
