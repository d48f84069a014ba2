// `./sppo serve --model DIR|rule:NAME [--port N] [--host H] [--served-model-name NAME]
//   [--execution-provider cpu|cuda|webgpu] [--replicas N]`: serves one model over HTTP until Ctrl-C,
// as `vllm serve` does. A checkpoint folder (model.onnx) gets the generator's OpenAI-compatible API
// (/v1/completions, /v1/chat/completions with streaming, /v1/models; default port 8000); a judge
// folder (pairwise.onnx) or a rule judge gets the judge's API (/v1/compare, /v1/rank; default port
// 8001). Loopback unless --host says otherwise.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startOpenAiServer } from '@sppo/generator';
import { startJudgeServer } from '@sppo/judge';
import { createParallelSamplingEngine, createRuleJudge, loadPairwiseJudge, PAIRWISE_MODEL_FILE, type PairwiseJudge, type SamplingEngine } from '@sppo/model';
import { parseArgs, rejectUnknown, requireOption } from '../args.ts';
import { UsageError } from '../errors.ts';

const USAGE =
  './sppo serve --model DIR|rule:length|rule:rps [--port N] [--host 127.0.0.1] [--served-model-name NAME] [--execution-provider cpu|cuda|webgpu] [--replicas N]';
const OPTIONS = ['model', 'port', 'host', 'served-model-name', 'execution-provider', 'replicas'];

function intOption(value: string | undefined, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** What --model names: a policy checkpoint (model.onnx), a judge (pairwise.onnx or rule:NAME). */
export function modelKind(model: string): 'policy' | 'judge' {
  if (model.startsWith('rule:') || existsSync(join(model, PAIRWISE_MODEL_FILE))) return 'judge';
  if (existsSync(join(model, 'model.onnx')) || existsSync(join(model, 'onnx', 'model.onnx'))) return 'policy';
  throw new UsageError(
    `--model ${model}: no model.onnx (a policy checkpoint) nor ${PAIRWISE_MODEL_FILE} (a judge) there. ` +
      'Give a folder written by ./sppo init-model, sft, train or judge-train, an exported HF model folder, or rule:length / rule:rps.',
  );
}

/** Serves until `until` settles; `onListening` gets the base URL (tests use port 0). */
export async function serve(argv: string[], until: Promise<void>, onListening: (baseUrl: string) => void = () => undefined): Promise<number> {
  const args = parseArgs(argv);
  const model = requireOption(args, 'model', USAGE);
  rejectUnknown(args, OPTIONS);
  if (args.positionals.length > 0 || args.flags.size > 0) throw new UsageError(`unexpected arguments. Usage: ${USAGE}`);
  const kind = modelKind(model);
  const port = intOption(args.options.get('port'), 'port', kind === 'policy' ? 8000 : 8001, 0, 65_535) as number;
  const replicas = intOption(args.options.get('replicas'), 'replicas', undefined, 1, 64);
  const hostname = args.options.get('host') ?? '127.0.0.1';
  const modelName = args.options.get('served-model-name');
  const executionProvider = args.options.get('execution-provider') ?? 'cpu';

  let close: () => Promise<void>;
  try {
    if (kind === 'policy') {
      const engine: SamplingEngine = await createParallelSamplingEngine({ modelDir: model, executionProvider, ...(replicas === undefined ? {} : { replicas }) });
      const server = await startOpenAiServer({ engine, port, hostname, ...(modelName ? { modelName } : {}) }).catch(async (e: unknown) => {
        await engine.close();
        throw e;
      });
      console.log(`serve: ${modelName ?? engine.info.name} (OpenAI-compatible) at ${server.baseUrl}   (Ctrl-C stops)`);
      onListening(server.baseUrl);
      close = async () => {
        await server.close();
        await engine.close();
      };
    } else {
      const judge: PairwiseJudge = model.startsWith('rule:')
        ? createRuleJudge(model)
        : await loadPairwiseJudge(model, { executionProvider, ...(replicas === undefined ? {} : { replicas }) });
      const server = await startJudgeServer({ judge, port, hostname, ...(modelName ? { modelName } : {}) }).catch(async (e: unknown) => {
        await judge.close?.();
        throw e;
      });
      console.log(`serve: ${modelName ?? judge.name} (judge: /compare, /rank) at ${server.baseUrl}   (Ctrl-C stops)`);
      onListening(server.baseUrl);
      close = async () => {
        await server.close();
        await judge.close?.();
      };
    }
  } catch (e) {
    // Whatever stops the server from starting (a bad folder, a provider that cannot start, a port
    // in use) is said in one line, not as a stack trace.
    if (e instanceof UsageError || !(e instanceof Error)) throw e;
    throw new UsageError(`could not serve --model ${model}: ${e.message}`);
  }
  await until;
  await close();
  return 0;
}

export function runServe(argv: string[]): Promise<number> {
  const stop = new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  return serve(argv, stop);
}
