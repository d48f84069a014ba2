// The builder's forward ops with symbolic dims (one session, several run-time shapes), the encoded
// protobuf read back by the reference ONNX schema (onnx-proto), and the actionable errors.
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createGraph } from './builder.ts';
import { readModelInputs } from './proto-read.ts';
import { createSession, executionProviderStartError } from './session.ts';

const { onnx } = onnxProto;

describe('forward graphs with symbolic dims', () => {
  // A decoder-style fragment: embeddings, a causal mask over past + current positions built from
  // Range/Less at run time, a head split via reshape with symbolic dims, and a KV concat.
  const g = createGraph({ name: 'decoder_fragment' });
  const ids = g.input('input_ids', ['batch_size', 'sequence_length'], 'int64');
  const past = g.input('past', ['batch_size', 'past_sequence_length', 4]);
  const table = g.constant(Array.from({ length: 10 * 4 }, (_, i) => i / 10), [10, 4]);
  const h = g.gather(table, ids, 0); // [batch, seq, 4]
  const kv = g.concat([past, h], 1); // [batch, past+seq, 4]
  expect(kv.shape).toEqual(['batch_size', 'past_sequence_length+sequence_length', 4]);
  const heads = g.reshape(h, ['batch_size', 'sequence_length', 2, -1]);
  expect(heads.shape).toEqual(['batch_size', 'sequence_length', 2, 2]);
  const scores = g.matmul(h, g.transpose(kv, [0, 2, 1])); // [batch, seq, past+seq]
  const pastLen = g.dimSize(past, 1);
  const total = g.add(pastLen, g.dimSize(ids, 1));
  const q = g.unsqueeze(g.range(pastLen, total, 1), [1]); // [seq, 1]
  const k = g.unsqueeze(g.range(0, total, 1, { size: 'total' }), [0]); // [1, past+seq]
  const masked = g.where(g.greater(k, q), -1e9, scores);
  g.output('probs', g.softmax(masked, -1));
  g.output('heads', g.transpose(heads, [0, 2, 1, 3]));
  g.output('ones', g.expand(g.scalar(1), ['batch_size', 'sequence_length']));
  const model = g.toModel();

  it('runs one session at several run-time shapes with correct causal masking', async () => {
    const s = await createSession(model);
    for (const [b, p, t] of [[1, 0, 3], [2, 2, 1], [2, 3, 2]] as const) {
      const out = await s.run({
        input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: b * t }, (_, i) => BigInt(i % 10)), [b, t]),
        past: new ort.Tensor('float32', new Float32Array(b * p * 4).fill(0.5), [b, p, 4]),
      });
      expect(out.probs!.dims).toEqual([b, t, p + t]);
      expect(out.heads!.dims).toEqual([b, 2, t, 2]);
      expect(out.ones!.dims).toEqual([b, t]);
      const probs = out.probs!.data as Float32Array;
      for (let bi = 0; bi < b; bi++)
        for (let i = 0; i < t; i++) {
          const row = probs.subarray((bi * t + i) * (p + t), (bi * t + i + 1) * (p + t));
          expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
          for (let j = p + i + 1; j < p + t; j++) expect(row[j]).toBe(0); // future positions masked
        }
    }
    await s.release();
  });

  it('encodes a ModelProto the reference schema reads back (ir 8, opset 18, symbolic inputs)', () => {
    const m = onnx.ModelProto.decode(model);
    expect(Number(m.irVersion)).toBe(8);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 18]]);
    const graph = m.graph!;
    const nodes = graph.node ?? [];
    const inits = graph.initializer ?? [];
    expect(graph.input!.map((i) => i.name)).toEqual(['input_ids', 'past']);
    const dims = graph.input![1]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims).toEqual(['batch_size', 'past_sequence_length', 4]);
    expect(graph.input![0]!.type!.tensorType!.elemType).toBe(onnx.TensorProto.DataType.INT64);
    expect(graph.output!.map((o) => o.name)).toEqual(['probs', 'heads', 'ones']);
    const softmax = nodes.find((n) => n.opType === 'Softmax')!;
    expect(softmax.attribute![0]!.name).toBe('axis');
    expect(Number(softmax.attribute![0]!.i)).toBe(2);
    const init = inits.find((t) => t.dims?.length === 2)!;
    expect(init.dims!.map(Number)).toEqual([10, 4]);
    expect(init.rawData!.length).toBe(160);
    expect(readModelInputs(model)).toEqual([{ name: 'input_ids', elemType: 7 }, { name: 'past', elemType: 1 }]);
  });
});

describe('gradients: contract and errors', () => {
  it('gives zeros for a param the loss does not use, and output() renames by Identity', async () => {
    const g = createGraph({ name: 'unused', floatType: 'float64' });
    const a = g.param('a', [2]);
    const b = g.param('b', [3]);
    const loss = g.reduceSum(g.mul(a, a), []);
    const [ga, gb] = g.gradients(loss, [a, b]);
    g.output('ga', ga!);
    g.output('gb', gb!);
    g.output('a_copy', a);
    const s = await createSession(g.toModel());
    const out = await s.run({ a: new ort.Tensor('float64', Float64Array.of(1, -2), [2]), b: new ort.Tensor('float64', new Float64Array(3), [3]) });
    expect(Array.from(out.ga!.data as Float64Array)).toEqual([2, -4]);
    expect(Array.from(out.gb!.data as Float64Array)).toEqual([0, 0, 0]);
    expect(Array.from(out.a_copy!.data as Float64Array)).toEqual([1, -2]);
  });

  it('output() takes over the name of a node result that also feeds other nodes (no Identity copy)', async () => {
    const g = createGraph({ name: 'aliased' });
    const x = g.input('x', [2]);
    const doubled = g.add(x, x);
    const squared = g.mul(doubled, doubled);
    g.output('present', doubled); // also consumed by `squared`, like a decoder's present KV
    g.output('present_again', doubled); // a second name for one tensor still needs an Identity
    g.output('y', squared);
    expect(g.opRecords.filter((o) => o.def.opType === 'Identity')).toHaveLength(1);
    const s = await createSession(g.toModel());
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 3), [2]) });
    expect(Array.from(out.present!.data as Float32Array)).toEqual([2, 6]);
    expect(Array.from(out.present_again!.data as Float32Array)).toEqual([2, 6]);
    expect(Array.from(out.y!.data as Float32Array)).toEqual([4, 36]);
  });

  it('rejects a non-scalar loss, symbolic shapes, ops without a rule, and bad operands with guidance', () => {
    const g = createGraph({ name: 'errors' });
    const x = g.input('x', ['batch', 3]);
    const w = g.param('w', [3, 2]);
    const y = g.matmul(x, w);
    expect(() => g.gradients(y, [w])).toThrow(/must be a scalar.*reduceMean/);
    expect(() => g.gradients(g.reduceSum(y, []), [w])).toThrow(/symbolic shape.*static shapes/);
    const h = createGraph({ name: 'raw' });
    const p = h.param('p', [2]);
    const erf = h.rawOp({ opType: 'Erf', inputs: [p], outputShape: [2], dtype: 'float32' });
    expect(() => h.gradients(h.reduceSum(erf, []), [p])).toThrow(/Erf .* no gradient rule; wrap its input in stopGradient/);
    expect(h.gradients(h.reduceSum(h.rawOp({ opType: 'Erf', inputs: [h.stopGradient(p)], outputShape: [2], dtype: 'float32' }), []), [p])).toHaveLength(1);
    expect(() => g.add(w, g.param('v', [4]))).toThrow(/do not broadcast \(dim 1: 2 vs 4\)/);
    expect(() => g.add(w, g.input('i', [3, 2], 'int64'))).toThrow(/dtypes differ.*cast one/);
    expect(() => g.reshape(x, ['rows', 3])).toThrow(/symbolic dim "rows" is not a dim of any graph input/);
    expect(() => g.softmax(w, 2)).toThrow(/axis 2 is out of range for rank 2; valid axes are -2..1/);
    expect(() => g.param('w', [1])).toThrow(/"w" is already used/);
    expect(() => createGraph({ name: 'old', opset: 13 })).toThrow(/opset 13 is not supported; use 18..26/);
  });

  it('createSession lists the available execution providers for an unknown one', async () => {
    const g = createGraph({ name: 'ep' });
    g.output('y', g.neg(g.input('x', [1])));
    await expect(createSession(g.toModel(), { executionProvider: 'nope' })).rejects.toThrow(/"nope" is not available.*Available: .*cpu/);
  });

  it('explains a listed execution provider that cannot start, and leaves other errors alone', () => {
    const cuda = executionProviderStartError('cuda', new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'));
    expect(cuda?.message).toMatch(/"cuda" could not start on this host \(.*Failed to load shared library\)\. It needs an NVIDIA GPU with the CUDA 12.*Providers that start without extra libraries: .*cpu/);
    const webgpu = executionProviderStartError('webgpu', new Error('Failed to get a WebGPU adapter: No supported adapters'));
    expect(webgpu?.message).toMatch(/"webgpu" could not start.*It needs a GPU adapter/);
    expect(executionProviderStartError('cpu', new Error('Failed to load shared library'))).toBeUndefined();
    expect(executionProviderStartError('cuda', new Error('Load model from bytes failed: Protobuf parsing failed'))).toBeUndefined();
  });
});
