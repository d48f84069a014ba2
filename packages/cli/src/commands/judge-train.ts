// `./sppo judge-train --data pairs.jsonl --out DIR [--init_from DIR] [--key=value ...]`: trains a
// mini-PairRM pairwise judge (PairRM's head on a small bidirectional encoder) with our engine.
// Rows: {prompt, response_a, response_b, label 1|0 | probability} or {prompt?, chosen, rejected};
// every pair is trained in both orders with BCE on the logit; a held-out split (eval_ratio) is
// scored at the end and its accuracy written to DIR/metrics.json. DIR is a judge checkpoint:
// pairwise.onnx (PairRM's ONNX contract) + tokenizer + config.json + model.safetensors.
// Options are JudgeTrainArgs (HF TrainingArguments names: learning_rate, num_train_epochs,
// max_steps, per_device_train_batch_size, ...; model size: hidden_size, num_hidden_layers, ...).
import { readFile } from 'node:fs/promises';
import { DEFAULT_JUDGE_TRAIN_ARGS, parseJudgeTrainArgs, parsePreferencePairs, readPairwiseCheckpoint, trainMiniPairRM, writePairwiseCheckpoint } from '@sppo/model';
import { parseArgs, rejectUnknown, requireOption } from '../args.ts';
import { UsageError } from '../errors.ts';

const USAGE = './sppo judge-train --data pairs.jsonl --out DIR [--init_from DIR] [--key=value ...]';

export async function runJudgeTrain(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const data = requireOption(args, 'data', USAGE);
  const out = requireOption(args, 'out', USAGE);
  const initFrom = args.options.get('init_from');
  args.options.delete('init_from');
  rejectUnknown(args, ['data', 'out', 'init_from', ...Object.keys(DEFAULT_JUDGE_TRAIN_ARGS)]);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}. Usage: ${USAGE}`);
  let trainArgs;
  try {
    trainArgs = parseJudgeTrainArgs(Object.fromEntries(args.options));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let text: string;
  try {
    text = await readFile(data, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --data ${data}: ${(e as Error).message}`);
  }
  const { pairs, errors } = parsePreferencePairs(text);
  if (errors.length > 0) {
    const list = errors.map((e) => `  line ${e.line}: ${e.message}`).join('\n');
    throw new UsageError(`${data} has ${errors.length} bad line(s); fix them and rerun:\n${list}`);
  }
  if (pairs.length < 2) throw new UsageError(`${data} has ${pairs.length} pair(s); judge-train needs at least 2`);
  const init = initFrom === undefined ? undefined : await readPairwiseCheckpoint(initFrom).catch((e: Error) => {
    throw new UsageError(`--init_from ${initFrom}: ${e.message}`);
  });
  console.error(`judge-train: ${pairs.length} pairs from ${data}${init ? `, continuing ${initFrom}` : ''}`);
  const trained = await trainMiniPairRM({ pairs, args: trainArgs, ...(init ? { init } : {}), log: (line) => console.error(line) });
  await writePairwiseCheckpoint(out, {
    config: trained.config,
    weights: trained.weights,
    tokenizer: trained.tokenizer,
    trainingArgs: { ...trainArgs, data, ...(initFrom ? { init_from: initFrom } : {}) },
    metrics: trained.metrics,
    logHistory: trained.logHistory,
  });
  console.error(`judge-train: wrote ${out}`);
  console.log(JSON.stringify(trained.metrics));
  return 0;
}
