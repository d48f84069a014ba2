// Our side of bench/train-step.ts, a child process speaking protocol.ts on stdin/stdout: the
// production path, autodiff's createTrainStepper (worker thread) as the trainer service runs it,
// with the stepper's default session options or, for the session-settings sweep, the
// SessionOptions given as JSON in argv[2] (e.g. {"enableCpuMemArena":false}).
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createLocalHost, createTrainStepper, type SessionOptions, type TensorData, type TensorHost, type TrainStepper } from '@sppo/autodiff';
import { buildLogprobGraph, buildSftTrainStep, parameterShapes, parseLlamaConfig, readSafetensors, type LlamaConfig } from '@sppo/model';
import type { InitMessage, Message, Reply } from './protocol.ts';

interface OurEngine {
  step(): Promise<number>;
  /** Summed response log-probs of the batch under the current (trained) weights. */
  logps(): Promise<number[]>;
  close(): Promise<void>;
}

interface EngineSetup {
  config: LlamaConfig;
  batch: Record<string, TensorData>;
  params: Map<string, Float32Array>;
  init: InitMessage;
}

function int64(rows: number[][]): TensorData {
  return { dtype: 'int64', dims: [rows.length, rows[0]?.length ?? 0], data: BigInt64Array.from(rows.flat(), (v) => BigInt(v)) };
}

function usage(): { maxrss_mb: number; rss_mb: number } {
  return { maxrss_mb: process.resourceUsage().maxRSS / 1024, rss_mb: process.memoryUsage.rss() / 2 ** 20 };
}

function dimsOf(batch: Record<string, TensorData>): [number, number] {
  return batch.input_ids?.dims as [number, number];
}

function sftStep(setup: EngineSetup) {
  const [B, T] = dimsOf(setup.batch);
  const { init } = setup;
  return buildSftTrainStep({ config: setup.config, batchSize: B, sequenceLength: T, optimizer: { type: 'adamw', weightDecay: init.weight_decay }, maxGradNorm: init.max_grad_norm });
}

async function stepperEngine(setup: EngineSetup, options: SessionOptions): Promise<OurEngine> {
  const { config, batch, init } = setup;
  const session: SessionOptions = { intraOpNumThreads: init.threads, interOpNumThreads: 1, ...options };
  let stepper: TrainStepper<string> | undefined = await createTrainStepper<string>({
    buildStep: () => sftStep(setup),
    params: Object.fromEntries(setup.params),
    session,
  });
  setup.params.clear(); // the stepper holds the weights now (as the trainer service hands them over)
  let forward: TensorHost | undefined;
  return {
    async step() {
      if (!stepper) throw new Error('steps after forward');
      return (await stepper.step('bucket', batch, { lr: init.lr })).loss as number;
    },
    async logps() {
      if (!forward) {
        // Scoring follows training, with the trained weights (as the torch side); the stepper is
        // closed first so its memory is released.
        if (!stepper) throw new Error('forward needs the stepper');
        const params = await stepper.getParams();
        await stepper.close();
        stepper = undefined;
        forward = createLocalHost();
        const [B, T] = dimsOf(batch);
        await forward.load('logps', buildLogprobGraph({ config, batchSize: B, sequenceLength: T }), session);
        const held: Record<string, TensorData> = {};
        for (const { name, shape } of parameterShapes(config)) held[name] = { dtype: 'float32', dims: shape, data: params[name] as Float32Array };
        await forward.setTensors(held);
      }
      const out = await forward.run({ key: 'logps', feeds: batch, fetch: ['logps'] });
      return Array.from(out.logps?.data as Float32Array);
    },
    async close() {
      await stepper?.close();
      await forward?.close();
    },
  };
}

async function childOurs(options: SessionOptions): Promise<void> {
  let engine: OurEngine | undefined;
  const reply = (r: Partial<Reply>): void => {
    process.stdout.write(`${JSON.stringify({ ...r, ...usage() })}\n`);
  };
  for await (const line of createInterface({ input: process.stdin })) {
    const msg = JSON.parse(line) as Message;
    if (msg.cmd === 'init') {
      const params = new Map<string, Float32Array>();
      for (const [name, t] of readSafetensors(await readFile(msg.weights)).tensors) params.set(name, t.data);
      const setup: EngineSetup = {
        config: parseLlamaConfig(msg.config),
        batch: { input_ids: int64(msg.batch.input_ids), attention_mask: int64(msg.batch.attention_mask), response_mask: int64(msg.batch.response_mask) },
        params,
        init: msg,
      };
      engine = await stepperEngine(setup, options);
      reply({});
    } else if (msg.cmd === 'exit') {
      await engine?.close();
      return;
    } else {
      if (!engine) throw new Error(`${msg.cmd} before init`);
      const ms: number[] = [];
      const loss: number[] = [];
      let logps: number[] = [];
      for (let i = 0; i < msg.n; i++) {
        const t0 = performance.now();
        if (msg.cmd === 'steps') loss.push(await engine.step());
        else logps = await engine.logps();
        ms.push(performance.now() - t0);
      }
      reply(msg.cmd === 'steps' ? { ms, loss } : { ms, logps });
    }
  }
}

await childOurs(JSON.parse(process.argv[2] ?? '{}') as SessionOptions);
