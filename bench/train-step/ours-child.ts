// Our side of bench/train-step.ts, a child process speaking protocol.ts on stdin/stdout, in one of
// two drivers (argv[2]):
//   'stepper': the production path, autodiff's createTrainStepper (worker thread, default session
//              options), as the trainer service runs it.
//   'lean':    the same graph in one main-thread onnxruntime session with the CPU memory arena
//              off and no JS-side copy of the weights: what a session option would buy the
//              stepper (autodiff's SessionOptions does not expose the arena yet).
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import * as ort from 'onnxruntime-node';
import { createLocalHost, createTrainStepper, optimizerScalars, toOrt, type TensorData, type TensorHost, type TrainStepper } from '@sppo/autodiff';
import { buildLogprobGraph, buildSftTrainStep, parameterShapes, parseLlamaConfig, readSafetensors, type LlamaConfig } from '@sppo/model';
import type { InitMessage, Message, Reply } from './protocol.ts';

type Driver = 'stepper' | 'lean';

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

async function stepperEngine(setup: EngineSetup): Promise<OurEngine> {
  const { config, batch, init } = setup;
  const session = { intraOpNumThreads: init.threads, interOpNumThreads: 1 };
  let stepper: TrainStepper<string> | undefined = await createTrainStepper<string>({
    buildStep: () => sftStep(setup),
    params: Object.fromEntries(setup.params),
    session,
  });
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

async function leanEngine(setup: EngineSetup): Promise<OurEngine> {
  const { config, batch, init } = setup;
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: init.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    enableCpuMemArena: false,
  };
  const graph = sftStep(setup);
  const session = await ort.InferenceSession.create(graph.model, options);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(batch)) feeds[name] = toOrt(t);
  for (const { name, shape } of parameterShapes(config)) feeds[name] = new ort.Tensor('float32', setup.params.get(name) as Float32Array, shape);
  setup.params.clear(); // the session feeds are now the only reference to the weights
  for (const spec of graph.state) feeds[spec.name] = new ort.Tensor('float32', new Float32Array(spec.shape.reduce((a, b) => a * b, 1)), spec.shape);
  let steps = 0;
  let forward: ort.InferenceSession | undefined;
  return {
    async step() {
      steps++;
      for (const [name, value] of Object.entries(optimizerScalars(graph.optimizer ?? { type: 'adamw' }, steps, init.lr))) {
        feeds[name] = new ort.Tensor('float32', Float32Array.of(value), []);
      }
      const out = await session.run(feeds);
      for (const [o, i] of graph.carry) feeds[i] = out[o] as ort.Tensor;
      return (out.loss as ort.Tensor).data[0] as number;
    },
    async logps() {
      if (!forward) {
        await session.release();
        const [B, T] = dimsOf(batch);
        forward = await ort.InferenceSession.create(buildLogprobGraph({ config, batchSize: B, sequenceLength: T }), options);
      }
      const inputs: Record<string, ort.Tensor> = {};
      for (const name of forward.inputNames) inputs[name] = feeds[name] as ort.Tensor;
      const out = await forward.run(inputs);
      return Array.from((out.logps as ort.Tensor).data as Float32Array);
    },
    async close() {
      await forward?.release();
    },
  };
}

async function childOurs(driver: Driver): Promise<void> {
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
      engine = driver === 'lean' ? await leanEngine(setup) : await stepperEngine(setup);
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

const driver = process.argv[2];
if (driver !== 'stepper' && driver !== 'lean') {
  process.stderr.write(`ours-child: driver must be stepper or lean, got ${JSON.stringify(driver)}\n`);
  process.exitCode = 2;
} else {
  await childOurs(driver);
}
