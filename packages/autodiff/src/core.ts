// The graph store under GraphBuilder: declared inputs and params, constants (as initializers), emitted
// nodes with their gradient rules, graph outputs, and serialization.
import { encodeModel } from './onnx.ts';
import type { Attr, InitializerDef, NodeDef, ValueInfoDef } from './onnx.ts';
import { fmtShape, numel } from './shape.ts';
import { DTYPES, encodeValues } from './types.ts';
import type { Dim, DType, FloatType, Tensor } from './types.ts';
import type { GraphBuilder } from './builder.ts';

/**
 * A reverse-mode rule: given the gradients of the node's outputs (undefined where no gradient
 * flows), returns the gradients of its inputs (undefined where not needed or not defined).
 * `needs[i]` says whether input i needs a gradient, so rules can skip work.
 */
export type GradRule = (g: GraphBuilder, op: OpRecord, dys: readonly (Tensor | undefined)[], needs: readonly boolean[]) => (Tensor | undefined)[];

export interface OpRecord {
  readonly def: NodeDef;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /** undefined: no gradient defined (an error if one is needed); 'stop': gradient deliberately zero. */
  readonly grad: GradRule | 'stop' | undefined;
}

export interface EmitOptions {
  attrs?: Record<string, Attr>;
  grad?: GradRule | 'stop';
  domain?: string;
  /**
   * The tensors the gradient rule differentiates with respect to, when they differ from the node's
   * ONNX inputs: a composite forward (e.g. a stable softplus) is wrapped in an Identity whose
   * gradient comes from a closed-form rule over the composite's own inputs.
   */
  gradInputs?: readonly Tensor[];
}

export interface GraphOptions {
  name: string;
  floatType?: FloatType;
  opset?: number;
  /** Embedding (Gather) gradient: ScatterND reduction='add', or an Equal+Cast one-hot and Gemm (works on every EP). */
  gatherGradient?: 'scatter' | 'onehot';
}

export class GraphCore {
  readonly name: string;
  readonly floatType: FloatType;
  readonly opset: number;
  readonly gatherGradient: 'scatter' | 'onehot';
  protected readonly ops: OpRecord[] = [];
  protected readonly producers = new Map<string, OpRecord>();
  private readonly graphInputs: Tensor[] = [];
  private readonly paramList: Tensor[] = [];
  private readonly initializers: InitializerDef[] = [];
  private readonly outputList: ValueInfoDef[] = [];
  /** Node results that are graph outputs under another name (renamed when encoding). */
  private readonly outputAliases = new Map<string, string>();
  private readonly usedNames = new Set<string>();
  private readonly constCache = new Map<string, Tensor>();
  private counter = 0;

  constructor({ name, floatType = 'float32', opset = 18, gatherGradient = 'scatter' }: GraphOptions) {
    if (floatType !== 'float32' && floatType !== 'float64')
      throw new Error(`createGraph: floatType "${String(floatType)}" is not supported; use 'float32' or 'float64'`);
    if (!Number.isInteger(opset) || opset < 18 || opset > 26)
      throw new Error(`createGraph: opset ${opset} is not supported; use 18..26 (ReduceMean axes are inputs from 18; onnxruntime 1.30 loads up to 26)`);
    if (gatherGradient !== 'scatter' && gatherGradient !== 'onehot')
      throw new Error(`createGraph: gatherGradient "${String(gatherGradient)}" is not one of 'scatter', 'onehot'`);
    this.name = name;
    this.floatType = floatType;
    this.opset = opset;
    this.gatherGradient = gatherGradient;
  }

  get inputs(): readonly Tensor[] {
    return this.graphInputs;
  }
  get params(): readonly Tensor[] {
    return this.paramList;
  }
  get nodeCount(): number {
    return this.ops.length;
  }
  /** The op that produced `t`, or undefined for inputs and constants. */
  producerOf(t: Tensor): OpRecord | undefined {
    return this.producers.get(t.name);
  }
  /** Every op emitted so far, in topological order. */
  get opRecords(): readonly OpRecord[] {
    return this.ops;
  }

  private claim(name: string, what: string): void {
    if (!name) throw new Error(`${what}: a name is required`);
    if (this.usedNames.has(name)) throw new Error(`${what}: the name "${name}" is already used in graph "${this.name}"; names must be unique`);
    this.usedNames.add(name);
  }

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${++this.counter}`;
    while (this.usedNames.has(name));
    this.usedNames.add(name);
    return name;
  }

  input(name: string, shape: Dim[], dtype: DType = this.floatType): Tensor {
    if (!DTYPES.includes(dtype)) throw new Error(`input "${name}": dtype "${dtype}" is not one of ${DTYPES.join(', ')}`);
    this.claim(name, 'input');
    const t: Tensor = { name, shape: [...shape], dtype };
    this.graphInputs.push(t);
    return t;
  }

  param(name: string, shape: number[]): Tensor {
    if (!shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new Error(`param "${name}": shape ${fmtShape(shape)} must be non-negative integers (params are static)`);
    const t = this.input(name, shape, this.floatType);
    this.paramList.push(t);
    return t;
  }

  constant(values: ArrayLike<number> | bigint[], shape: number[], dtype: DType = this.floatType): Tensor {
    const n = numel(shape)!;
    if (values.length !== n)
      throw new Error(`constant: ${values.length} values do not fill shape ${fmtShape(shape)} (${n} elements)`);
    const name = this.fresh('const');
    this.initializers.push({ name, dtype, dims: shape, raw: encodeValues(values, dtype) });
    return { name, shape: [...shape], dtype };
  }

  /** A cached scalar (shape []) or small 1-D constant; identical requests share one initializer. */
  scalar(value: number, dtype: DType = this.floatType): Tensor {
    const key = `s:${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.constCache.get(key);
    if (!t) {
      t = this.constant([value], [], dtype);
      this.constCache.set(key, t);
    }
    return t;
  }

  /** A cached int64 1-D constant (axes, shapes, pads). */
  ints(values: readonly number[]): Tensor {
    const key = `i:${values.join(',')}`;
    let t = this.constCache.get(key);
    if (!t) {
      t = this.constant(values.map((v) => BigInt(v)), [values.length], 'int64');
      this.constCache.set(key, t);
    }
    return t;
  }

  /** Appends one node; returns its outputs with the given static shapes and dtypes. */
  emitMulti(opType: string, inputs: readonly (Tensor | undefined)[], outs: { shape: readonly Dim[]; dtype: DType }[], options: EmitOptions = {}): Tensor[] {
    const outputs: Tensor[] = outs.map((o) => ({ name: this.fresh(opType.toLowerCase()), shape: [...o.shape], dtype: o.dtype }));
    const def: NodeDef = {
      name: `${opType}_${this.counter}`,
      opType,
      inputs: inputs.map((t) => t?.name ?? ''), // '' marks an omitted optional input
      outputs: outputs.map((t) => t.name),
      attributes: options.attrs ?? {},
      ...(options.domain ? { domain: options.domain } : {}),
    };
    const rec: OpRecord = { def, inputs: options.gradInputs ?? inputs.filter((t): t is Tensor => t !== undefined), outputs, grad: options.grad };
    this.ops.push(rec);
    for (const t of outputs) this.producers.set(t.name, rec);
    return outputs;
  }

  emit(opType: string, inputs: readonly (Tensor | undefined)[], shape: readonly Dim[], dtype: DType, options: EmitOptions = {}): Tensor {
    return this.emitMulti(opType, inputs, [{ shape, dtype }], options)[0]!;
  }

  output(name: string, t: Tensor): void {
    if (this.outputList.some((o) => o.name === name)) throw new Error(`output: "${name}" is already an output of graph "${this.name}"`);
    let src = t;
    if (t.name === name && !this.graphInputs.some((i) => i.name === t.name) && this.producers.has(t.name)) {
      // Already the producer's own output name: nothing to do.
    } else if (this.producers.has(t.name) && !this.graphInputs.some((i) => i.name === t.name) && !this.outputAliases.has(t.name)) {
      // A node's result becomes a graph output by taking the output's name when the model is
      // encoded. An Identity would do the same but costs a full copy per run whenever the value
      // also feeds other nodes (ORT keeps such an Identity): for a decoder's present.{i}.key|value
      // that copy was 14% of a decoding step (bench/generate.ts profile).
      this.claim(name, 'output');
      this.outputAliases.set(t.name, name);
    } else {
      this.claim(name, 'output');
      // Identity gives the output its own name (an output may not also be an input or initializer,
      // and one tensor can take only one name).
      const renamed: Tensor = { name, shape: t.shape, dtype: t.dtype };
      const def: NodeDef = { name: `Identity_out_${++this.counter}`, opType: 'Identity', inputs: [t.name], outputs: [name], attributes: {} };
      this.ops.push({ def, inputs: [t], outputs: [renamed], grad: (_g, _op, dys) => [dys[0]] });
      src = renamed;
    }
    this.outputList.push({ name, dtype: src.dtype, shape: src.shape });
  }

  get outputNames(): string[] {
    return this.outputList.map((o) => o.name);
  }

  private withOutputNames(def: NodeDef): NodeDef {
    if (this.outputAliases.size === 0) return def;
    const rename = (n: string): string => this.outputAliases.get(n) ?? n;
    return { ...def, inputs: def.inputs.map(rename), outputs: def.outputs.map(rename) };
  }

  toModel(): Uint8Array {
    if (this.outputList.length === 0) throw new Error(`toModel: graph "${this.name}" has no outputs; call output(name, tensor) first`);
    return encodeModel(
      {
        name: this.name,
        nodes: this.ops.map((o) => this.withOutputNames(o.def)),
        inputs: this.graphInputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
        outputs: this.outputList,
        initializers: this.initializers,
      },
      this.opset,
      this.ops.some((o) => o.def.domain === 'com.microsoft') ? { 'com.microsoft': 1 } : {},
    );
  }
}
