// How ORT can hold one frozen weight for several sessions (issue 16: a frozen base held once per
// process however many shape buckets), measured on a 256 MiB weight W [8192, 8192] and a product
// y = x W^T run by 3 sessions of different batch sizes (3 shape buckets):
//   input        W a graph input; one ort.Tensor over one buffer, bound to every session's run
//                (what the stepper does with a frozen base: its tensor host binds the held tensor)
//   initializer  W an initializer embedded in each session's model bytes
//   external     W an initializer with external data, the one buffer passed to every session in
//                SessionOptions.externalData (onnxruntime-node: AddExternalInitializersFromFilesInMemory)
// One child per option (`node ort-options.ts OPTION`); the parent prints JSON rows with the RSS
// after each session's first run. Dynamic shapes (one session for every bucket) are not an option
// for training graphs here: autodiff's gradients need static shapes (API.md).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createGraph } from '@sppo/autodiff';
import { attachWeights } from '@sppo/model';
import * as ort from 'onnxruntime-node';

const N = 8192;
const rssMb = (): number => Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024);

async function child(option: string): Promise<Record<string, unknown>> {
  const g = createGraph({ name: 'probe' });
  const x = g.input('x', ['batch', N]);
  g.output('y', g.gemm(g.reshape(x, [-1, N]), g.input('w', [N, N]), { transB: true }));
  const plain = g.toModel();
  const w = Float32Array.from({ length: N * N }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const before = rssMb();
  const sessions: ort.InferenceSession[] = [];
  const rss: number[] = [];
  const wTensor = new ort.Tensor('float32', w, [N, N]);
  const embedded = option === 'initializer' ? attachWeights(plain, [{ name: 'w', dims: [N, N], data: w }]).model : undefined;
  const external = option === 'external' ? attachWeights(plain, [{ name: 'w', dims: [N, N], data: w }], { externalLocation: 'w.bin' }) : undefined;
  const externalBytes = external ? new Uint8Array(w.buffer) : undefined;
  for (const batch of [4, 8, 16]) {
    const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 2, enableCpuMemArena: false, enableMemPattern: false };
    const s =
      option === 'input'
        ? await ort.InferenceSession.create(plain, opts)
        : option === 'initializer'
          ? await ort.InferenceSession.create(embedded!, opts)
          : await ort.InferenceSession.create(external!.model, { ...opts, externalData: [{ path: 'w.bin', data: externalBytes! }] });
    const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', new Float32Array(batch * N).fill(0.01), [batch, N]) };
    if (option === 'input') feeds.w = wTensor;
    await s.run(feeds);
    sessions.push(s);
    rss.push(rssMb() - before);
  }
  for (const s of sessions) await s.release();
  return { option, weight_mb: (N * N * 4) / 2 ** 20, rss_growth_mb_after_sessions: rss };
}

const option = process.argv[2];
if (option) process.stdout.write(`${JSON.stringify(await child(option))}\n`);
else {
  const rows = ['input', 'initializer', 'external'].map((o) => {
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), o], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return r.status === 0 ? (JSON.parse(r.stdout.trim()) as Record<string, unknown>) : { option: o, error: `exit ${r.status}` };
  });
  process.stdout.write(`${JSON.stringify({ bench: 'lora-memory/ort-options', rows }, null, 2)}\n`);
}
