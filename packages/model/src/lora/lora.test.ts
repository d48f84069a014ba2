import { batchPreferenceLossReference, type PreferenceExample } from '@sppo/core';
import { bf16BitsToFloat, buildGradientStep, checkGradients, createGraph, floatToBf16Bits, type DType, type GraphBuilder, type Tensor } from '@sppo/autodiff';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { declareParams, withProjectionAdapter } from '../graphs/decoder.ts';
import { preferenceLoss } from '../graphs/losses.ts';
import { declareTokenBatch, sequenceLogps, type TokenBatch } from '../graphs/sequence-logps.ts';
import { preferenceLossBuild } from '../graphs/train-steps.ts';
import { floats, int64, padBatch, randomRows, randomWeights, roundToFloat32, tinyConfig, type PaddedBatch } from '../graphs/test-utils.ts';
import { referenceSequenceLogps } from '../llama/reference.ts';
import { parameterShapes } from '../llama/params.ts';
import { createRng } from '../rng.ts';
import { bf16BaseNames, declareLoraParams, loraDelta } from './graph.ts';
import { mergeLora } from './merge.ts';
import { initLoraWeights, loraAName, loraBName, loraParameterShapes, type LoraWeights } from './params.ts';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, readPeftAdapter, writePeftAdapter } from './peft.ts';
import { loraScale, loraTargets, type LoraSpec } from './spec.ts';
import { readSafetensorsHeader } from '../safetensors.ts';

const small = tinyConfig({ vocab_size: 11, hidden_size: 8, intermediate_size: 12, head_dim: 2 });
const allLinear: LoraSpec = { r: 2, alpha: 3, dropout: 0, targetModules: ['all-linear'] };

/** Adapter values with B != 0 (PEFT starts B at zero, which would hide A's gradient). */
function randomAdapter(cfg = small, spec = allLinear, seed = 11, std = 0.4): Map<string, Float64Array> {
  const rng = createRng(seed);
  return new Map(loraParameterShapes(loraTargets(cfg, spec), spec.r).map(({ name, shape }) => [name, Float64Array.from({ length: shape[0] * shape[1] }, () => std * rng.normal())]));
}

const tokenBatch = (d: Record<string, Tensor>): TokenBatch => ({ inputIds: d.input_ids!, attentionMask: d.attention_mask!, responseMask: d.response_mask! });
const ints = (m: number[][]) => ({ shape: [m.length, m[0]!.length], dtype: 'int64' as DType, values: m.flat() });
const vec = (values: number[]) => ({ shape: [values.length], dtype: 'float64' as DType, values });

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>, dtype: 'float32' | 'float64'): Promise<ort.InferenceSession.OnnxValueMapType> {
  const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: dtype === 'float64' ? 'basic' : 'all', intraOpNumThreads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

const tensorFeeds = (w: ReadonlyMap<string, ArrayLike<number>>, shapes: { name: string; shape: number[] }[], dtype: 'float32' | 'float64') =>
  Object.fromEntries(shapes.map(({ name, shape }) => [name, new ort.Tensor(dtype, dtype === 'float64' ? Float64Array.from(w.get(name)!) : Float32Array.from(w.get(name)!), shape)]));
const tokenFeeds = (b: PaddedBatch) => ({ input_ids: int64(b.inputIds), attention_mask: int64(b.attentionMask), response_mask: int64(b.responseMask) });

describe('LoRA layers: gradients against central finite differences (float64, dropout off)', () => {
  it('one adapted linear: d/dA and d/dB of sum(w * (x W^T + s x A^T B^T)), W frozen', async () => {
    const report = await checkGradients({
      build: (g: GraphBuilder, p, d) => {
        const y = g.add(g.gemm(d.x!, d.w!, { transB: true }), loraDelta(g, d.x!, p.a!, p.b!, 1.5));
        return g.reduceSum(g.mul(y, d.weights!), []);
      },
      params: { a: { shape: [3, 5] }, b: { shape: [4, 3] } },
      data: {
        x: { shape: [6, 5], dtype: 'float64', values: Array.from({ length: 30 }, (_, i) => Math.sin(i)) },
        w: { shape: [4, 5], dtype: 'float64', values: Array.from({ length: 20 }, (_, i) => Math.cos(i)) },
        weights: { shape: [6, 4], dtype: 'float64', values: Array.from({ length: 24 }, (_, i) => Math.sin(3 * i)) },
      },
    });
    expect(report.maxError, JSON.stringify(report.perParam)).toBeLessThan(1e-7);
  });

  it('whole model, all-linear r=2, sppo loss: every adapter element; the base is a frozen input', async () => {
    const base = randomWeights(small, 3, 0.5);
    const adapter = randomAdapter();
    const b = padBatch(randomRows(small.vocab_size, [[1, 2], [2, 4], [3, 3], [1, 3]], 4), 6);
    const baseData = Object.fromEntries(parameterShapes(small).map(({ name, shape }) => [name, { shape, dtype: 'float64' as DType, values: base.get(name)! }]));
    const targets = loraTargets(small, allLinear);
    const report = await checkGradients({
      build: (g: GraphBuilder, p, d) => {
        const params = withProjectionAdapter({ ...d, ...p }, (gg, x, module, base) =>
          targets.some((t) => t.module === module) ? gg.add(base(), loraDelta(gg, x, p[loraAName(module)]!, p[loraBName(module)]!, loraScale(allLinear))) : base(),
        );
        return preferenceLoss(
          g,
          small,
          params,
          tokenBatch(d),
          { referenceChosenLogps: d.ref_c!, referenceRejectedLogps: d.ref_r!, chosenProbsWin: d.pw!, chosenProbsLose: d.pl! },
          { lossType: 'sppo', beta: 0.5 },
        ).loss;
      },
      params: Object.fromEntries(loraParameterShapes(targets, 2).map(({ name, shape }) => [name, { shape, values: adapter.get(name)! }])),
      data: {
        ...baseData,
        input_ids: ints(b.inputIds),
        attention_mask: ints(b.attentionMask),
        response_mask: ints(b.responseMask),
        ref_c: vec([-9.5, -6.1]),
        ref_r: vec([-7.2, -12.3]),
        pw: vec([0.7, 0.6]),
        pl: vec([0.3, 0.45]),
      },
    });
    expect(Object.keys(report.perParam)).toHaveLength(2 * 7 * small.num_hidden_layers);
    expect(report.maxError, JSON.stringify(report.perParam)).toBeLessThan(1e-6);
  });
});

describe('a LoRA SPPO step is the full model step chained through the adapter', () => {
  it('dL/dA = s B^T G and dL/dB = s G A^T with G the full-model gradient at W + s B A (float64); the loss is core\'s', async () => {
    const cfg = tinyConfig();
    const spec: LoraSpec = { r: 3, alpha: 6, dropout: 0, targetModules: ['all-linear'] };
    const s = loraScale(spec);
    const base = roundToFloat32(randomWeights(cfg, 29));
    const adapter = randomAdapter(cfg, spec, 5, 0.2);
    const merged = mergeLora(cfg, base, spec, new Map([...adapter].map(([k, v]) => [k, Float32Array.from(v)])));
    // mergeLora rounds to float32: compare against the exact float64 merge instead.
    const exact = new Map<string, Float64Array>([...base].map(([k, v]) => [k, Float64Array.from(v)]));
    for (const t of loraTargets(cfg, spec)) {
      const w = exact.get(`${t.module}.weight`)!;
      const a = adapter.get(loraAName(t.module))!;
      const bm = adapter.get(loraBName(t.module))!;
      for (let i = 0; i < t.outFeatures; i++) for (let j = 0; j < t.inFeatures; j++) for (let k = 0; k < spec.r; k++) w[i * t.inFeatures + j]! += s * bm[i * spec.r + k]! * a[k * t.inFeatures + j]!;
    }
    expect(merged.size).toBe(exact.size);
    const T = 8;
    const batch = padBatch(randomRows(cfg.vocab_size, [[3, 4], [2, 3], [3, 2], [1, 5]], 5), T);
    const policy = referenceSequenceLogps(cfg, exact, batch).logps;
    const refC = [policy[0]! - 0.2, policy[1]! + 0.1];
    const refR = [policy[2]! + 0.05, policy[3]! - 0.3];
    const pw = [0.7, 0.62];
    const pl = [0.3, 0.41];
    const beta = 0.1;
    const data = { ...tokenFeeds(batch), reference_chosen_logps: floats(refC, 'float64'), reference_rejected_logps: floats(refR, 'float64'), chosen_probs_win: floats(pw, 'float64'), chosen_probs_lose: floats(pl, 'float64') };
    const common = { config: cfg, batchSize: 2, sequenceLength: T, lossType: 'sppo' as const, beta };

    const full = buildGradientStep(preferenceLossBuild(common), { floatType: 'float64', accumulate: false });
    const fullOut = await run(full.model, { ...tensorFeeds(exact, parameterShapes(cfg), 'float64'), ...data }, 'float64');
    const lora = buildGradientStep(preferenceLossBuild({ ...common, lora: spec }), {
      floatType: 'float64',
      accumulate: false,
      params: loraParameterShapes(loraTargets(cfg, spec), spec.r).map((p) => p.name),
    });
    expect(lora.params).toHaveLength(2 * 7 * cfg.num_hidden_layers);
    expect(lora.frozen.map((p) => p.name)).toEqual(parameterShapes(cfg).map((p) => p.name));
    const loraOut = await run(lora.model, { ...tensorFeeds(base, parameterShapes(cfg), 'float64'), ...tensorFeeds(adapter, loraParameterShapes(loraTargets(cfg, spec), spec.r), 'float64'), ...data }, 'float64');

    const examples: PreferenceExample[] = [0, 1].map((i) => ({ policyChosenLogp: policy[i]!, policyRejectedLogp: policy[i + 2]!, referenceChosenLogp: refC[i]!, referenceRejectedLogp: refR[i]!, chosenProbsWin: pw[i]!, chosenProbsLose: pl[i]! }));
    const want = batchPreferenceLossReference('sppo', examples, { beta });
    expect(Math.abs(Number(loraOut.loss!.data[0]) - want)).toBeLessThan(1e-9 * Math.abs(want));
    expect(Math.abs(Number(fullOut.loss!.data[0]) - want)).toBeLessThan(1e-9 * Math.abs(want));

    let worst = 0;
    let scaleOf = 0;
    for (const t of loraTargets(cfg, spec)) {
      const G = fullOut[`grad/${t.module}.weight`]!.data as Float64Array; // [out, in]
      const a = adapter.get(loraAName(t.module))!;
      const bm = adapter.get(loraBName(t.module))!;
      const gA = loraOut[`grad/${loraAName(t.module)}`]!.data as Float64Array; // [r, in]
      const gB = loraOut[`grad/${loraBName(t.module)}`]!.data as Float64Array; // [out, r]
      const [m, n, r] = [t.outFeatures, t.inFeatures, spec.r];
      for (let k = 0; k < r; k++) {
        for (let j = 0; j < n; j++) {
          let v = 0;
          for (let i = 0; i < m; i++) v += bm[i * r + k]! * G[i * n + j]!;
          worst = Math.max(worst, Math.abs(s * v - gA[k * n + j]!));
          scaleOf = Math.max(scaleOf, Math.abs(s * v));
        }
      }
      for (let i = 0; i < m; i++) {
        for (let k = 0; k < r; k++) {
          let v = 0;
          for (let j = 0; j < n; j++) v += G[i * n + j]! * a[k * n + j]!;
          worst = Math.max(worst, Math.abs(s * v - gB[i * r + k]!));
          scaleOf = Math.max(scaleOf, Math.abs(s * v));
        }
      }
    }
    expect(scaleOf).toBeGreaterThan(1e-3);
    expect(worst / scaleOf).toBeLessThan(1e-10);
  });
});

describe('a frozen base gets no weight gradient', () => {
  it('the backward pass of a LoRA step has no product shaped like a base weight (only dx through W)', () => {
    const cfg = tinyConfig();
    const spec: LoraSpec = { r: 3, alpha: 6, dropout: 0, targetModules: ['all-linear'] };
    const weightGradShapes = (lora: boolean): string[] => {
      const g = createGraph({ name: 'probe' });
      const { loss } = preferenceLossBuild({ config: cfg, batchSize: 2, sequenceLength: 8, lossType: 'sppo', beta: 0.1, ...(lora ? { lora: spec } : {}) })(g); // 4 x 7 scored rows: no dim of a weight
      const trainable = lora ? g.params.filter((p) => /lora_[AB]/.test(p.name)) : g.params;
      const before = g.opRecords.length;
      g.gradients(loss, trainable);
      const base = new Set(parameterShapes(cfg).filter((p) => p.shape.length === 2).map((p) => p.shape.join('x')));
      return g.opRecords.slice(before).filter((op) => op.def.opType === 'Gemm' && base.has(op.outputs[0]!.shape.join('x'))).map((op) => op.outputs[0]!.shape.join('x'));
    };
    expect(weightGradShapes(false).length).toBeGreaterThanOrEqual(7 * cfg.num_hidden_layers); // full: dW of every linear
    expect(weightGradShapes(true)).toEqual([]);
  });
});

describe('a bf16 base held as bits', () => {
  it('gives the loss and adapter gradients of the same (bf16-valued) base held in float32', async () => {
    const cfg = tinyConfig();
    const spec: LoraSpec = { r: 2, alpha: 4, dropout: 0, targetModules: ['q_proj', 'o_proj', 'up_proj'] };
    const base = new Map([...randomWeights(cfg, 31)].map(([k, v]) => [k, bf16BitsToFloat(floatToBf16Bits(Float32Array.from(v)))]));
    const adapter = randomAdapter(cfg, spec, 3, 0.3);
    const T = 8;
    const batch = padBatch(randomRows(cfg.vocab_size, [[3, 4], [2, 3], [3, 2], [1, 5]], 5), T);
    const data = { ...tokenFeeds(batch), reference_chosen_logps: floats([-20, -21], 'float32'), reference_rejected_logps: floats([-19, -22], 'float32'), chosen_probs_win: floats([0.7, 0.6], 'float32'), chosen_probs_lose: floats([0.3, 0.4], 'float32') };
    const common = { config: cfg, batchSize: 2, sequenceLength: T, lossType: 'sppo' as const, beta: 0.1 };
    const names = loraParameterShapes(loraTargets(cfg, spec), spec.r);
    const adapterFeeds = tensorFeeds(adapter, names, 'float32');
    const f32 = buildGradientStep(preferenceLossBuild({ ...common, lora: spec }), { accumulate: false, params: names.map((n) => n.name) });
    const bf16 = buildGradientStep(preferenceLossBuild({ ...common, lora: { ...spec, baseDtype: 'bfloat16' } }), { accumulate: false, params: names.map((n) => n.name), held: bf16BaseNames(cfg), opset: 26 });
    expect(bf16.frozen.filter((f) => f.dtype === 'uint16').map((f) => f.name)).toEqual(bf16BaseNames(cfg));
    expect(bf16BaseNames(cfg)).toHaveLength(7 * cfg.num_hidden_layers);
    const bits = Object.fromEntries(
      parameterShapes(cfg).map(({ name, shape }) => [name, bf16BaseNames(cfg).includes(name) ? new ort.Tensor('uint16', floatToBf16Bits(base.get(name)!), shape) : new ort.Tensor('float32', base.get(name)!, shape)]),
    );
    const a = await run(f32.model, { ...tensorFeeds(base, parameterShapes(cfg), 'float32'), ...adapterFeeds, ...data }, 'float32');
    const b = await run(bf16.model, { ...bits, ...adapterFeeds, ...data }, 'float32');
    expect(Math.abs(Number(a.loss!.data[0]) - Number(b.loss!.data[0]))).toBeLessThan(1e-5 * Math.abs(Number(a.loss!.data[0])));
    for (const { name } of names) {
      const ga = a[`grad/${name}`]!.data as Float32Array;
      const gb = b[`grad/${name}`]!.data as Float32Array;
      const scale = Math.max(...ga.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      for (let i = 0; i < ga.length; i++) expect(Math.abs(ga[i]! - gb[i]!), name).toBeLessThan(1e-4 * scale);
    }
  });
});

describe('adapter files and merging', () => {
  const cfg = tinyConfig();
  const spec: LoraSpec = { r: 4, alpha: 8, dropout: 0.05, targetModules: ['q_proj', 'v_proj', 'down_proj'] };

  it('PEFT init: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_, a = sqrt(5)), B = 0', () => {
    const w = initLoraWeights(loraTargets(cfg, spec), spec, 42);
    const a = w.get('model.layers.0.mlp.down_proj.lora_A.weight')!;
    expect(a.length).toBe(4 * cfg.intermediate_size);
    const bound = 1 / Math.sqrt(cfg.intermediate_size);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(w.get('model.layers.0.mlp.down_proj.lora_B.weight')!.every((v) => v === 0)).toBe(true);
    expect([...w.keys()].filter((k) => k.includes('k_proj'))).toEqual([]);
    expect(initLoraWeights(loraTargets(cfg, spec), spec, 42).get('model.layers.1.self_attn.q_proj.lora_A.weight')).toEqual(w.get('model.layers.1.self_attn.q_proj.lora_A.weight'));
  });

  it('adapter_config.json has LoraConfig fields; adapter_model.safetensors has PEFT key names; both read back', () => {
    const weights: LoraWeights = new Map([...randomAdapter(cfg, spec, 2)].map(([k, v]) => [k, Float32Array.from(v)]));
    const files = writePeftAdapter(cfg, spec, weights, { baseModelNameOrPath: 'models/base' });
    const config = JSON.parse(files[ADAPTER_CONFIG_FILE] as string) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, lora_dropout: 0.05, target_modules: ['q_proj', 'v_proj', 'down_proj'], bias: 'none', base_model_name_or_path: 'models/base', use_rslora: false, use_dora: false, fan_in_fan_out: false });
    const header = readSafetensorsHeader(files[ADAPTER_WEIGHTS_FILE] as Uint8Array);
    expect([...header.entries.keys()]).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    expect(header.entries.get('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight')?.shape).toEqual([cfg.hidden_size, 4]);
    expect(header.entries.size).toBe(2 * 3 * cfg.num_hidden_layers);
    expect(header.metadata).toEqual({ format: 'pt' });
    const back = readPeftAdapter(cfg, { config: files[ADAPTER_CONFIG_FILE] as string, weights: files[ADAPTER_WEIGHTS_FILE] as Uint8Array });
    expect(back.spec).toEqual(spec);
    expect(back.baseModelNameOrPath).toBe('models/base');
    for (const [k, v] of weights) expect(back.weights.get(k)).toEqual(v);
  });

  it('bad settings and foreign adapters get errors naming the field and the valid values', () => {
    expect(() => loraTargets(cfg, { ...spec, targetModules: ['qproj'] })).toThrow(/lora_target_modules: "qproj" not valid; valid: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, all-linear/);
    expect(() => loraTargets(cfg, { ...spec, r: 0 })).toThrow(/lora_r must be an integer >= 1/);
    expect(() => loraTargets(cfg, { ...spec, dropout: 1 })).toThrow(/lora_dropout must be in \[0, 1\)/);
    const files = writePeftAdapter(cfg, spec, initLoraWeights(loraTargets(cfg, spec), spec, 1));
    const dora = JSON.stringify({ ...JSON.parse(files[ADAPTER_CONFIG_FILE] as string), use_dora: true });
    expect(() => readPeftAdapter(cfg, { config: dora, weights: files[ADAPTER_WEIGHTS_FILE] as Uint8Array })).toThrow(/use_dora must be false/);
    const wider = tinyConfig({ hidden_size: 32, head_dim: 8 });
    expect(() => readPeftAdapter(wider, { config: files[ADAPTER_CONFIG_FILE] as string, weights: files[ADAPTER_WEIGHTS_FILE] as Uint8Array })).toThrow(/has shape \[4, 16\], expected \[4, 32\]/);
  });

  it('the merged weights give the log-probs of base + adapter (float32 graphs, float32 round-off)', async () => {
    const base = new Map([...roundToFloat32(randomWeights(cfg, 8))].map(([k, v]) => [k, Float32Array.from(v)]));
    const adapter: LoraWeights = new Map([...randomAdapter(cfg, spec, 9, 0.3)].map(([k, v]) => [k, Float32Array.from(v)]));
    const merged = mergeLora(cfg, base, spec, adapter);
    const T = 9;
    const batch = padBatch(randomRows(cfg.vocab_size, [[3, 5], [2, 6], [4, 2]], 3), T);
    const logpsGraph = (lora: boolean) => {
      const g = createGraph({ name: 'logps' });
      // Scoring runs without dropout (PEFT's eval mode).
      const params = lora ? declareLoraParams(g, cfg, { ...spec, dropout: 0 }).params : declareParams(g, cfg);
      const out = sequenceLogps(g, cfg, params, declareTokenBatch(g, 3, T));
      g.output('logps', out.logps);
      return g.toModel();
    };
    const shapes = loraParameterShapes(loraTargets(cfg, spec), spec.r);
    const withAdapter = await run(logpsGraph(true), { ...tensorFeeds(base, parameterShapes(cfg), 'float32'), ...tensorFeeds(adapter, shapes, 'float32'), ...tokenFeeds(batch) }, 'float32');
    const plain = await run(logpsGraph(false), { ...tensorFeeds(merged, parameterShapes(cfg), 'float32'), ...tokenFeeds(batch) }, 'float32');
    const exactLogps = referenceSequenceLogps(cfg, new Map([...merged].map(([k, v]) => [k, Float64Array.from(v)])), batch).logps;
    const baseLogps = referenceSequenceLogps(cfg, new Map([...base].map(([k, v]) => [k, Float64Array.from(v)])), batch).logps;
    const a = [...(withAdapter.logps!.data as Float32Array)];
    const m = [...(plain.logps!.data as Float32Array)];
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(a[i]! - baseLogps[i]!)).toBeGreaterThan(0.05); // the adapter moves the log-probs
      expect(Math.abs(a[i]! - m[i]!)).toBeLessThan(2e-5 * Math.max(1, Math.abs(m[i]!)));
      expect(Math.abs(m[i]! - exactLogps[i]!)).toBeLessThan(2e-5 * Math.max(1, Math.abs(m[i]!)));
    }
  });

  it('dropout acts on the adapter input only: with A = B = I each input element is kept (scaled 1/(1-p)) or dropped', async () => {
    const g = createGraph({ name: 'dropout' });
    const x = g.input('x', [200, 4], 'float32');
    const eye = g.constant([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], [4, 4]);
    g.output('y', loraDelta(g, x, eye, eye, 1, 0.25, 7));
    const xs = Float32Array.from({ length: 800 }, (_, i) => 1 + (i % 7));
    const out = (await run(g.toModel(), { x: new ort.Tensor('float32', xs, [200, 4]) }, 'float32')).y!.data as Float32Array;
    let dropped = 0;
    for (let i = 0; i < xs.length; i++) {
      if (out[i] === 0) dropped++;
      else expect(out[i]).toBeCloseTo(xs[i]! / 0.75, 5);
    }
    expect(dropped / xs.length).toBeGreaterThan(0.18);
    expect(dropped / xs.length).toBeLessThan(0.32);
  });
});
