// GraphBuilder: the public face of the graph store. Each method is one ONNX op (or a short,
// numerically careful composite) with its gradient rule; the implementations live in ops/.
import { GraphCore } from './core.ts';
import type { GraphOptions } from './core.ts';
import { gradients } from './gradients.ts';
import { binary, logSigmoid, pow, softplus, unary } from './ops/elementwise.ts';
import { gemm, matmul } from './ops/linalg.ts';
import type { GemmOptions } from './ops/linalg.ts';
import { cumsum, logSoftmax, reduce, selectedLogProbs, softmax } from './ops/reduce.ts';
import { cast, concat, expand, reshape, slice, split, squeeze, transpose, unsqueeze } from './ops/layout.ts';
import { gather, gatherElements, where } from './ops/indexing.ts';
import { compare, constantOfShape, dimSize, dimTensor, logical, range, shapeOf, trilu, zeros } from './ops/dynamic.ts';
import type { Attr } from './onnx.ts';
import type { Dim, DType, Operand, Tensor } from './types.ts';

export interface RawOpOptions {
  opType: string;
  inputs: (Tensor | undefined)[];
  attributes?: Record<string, Attr>;
  outputShape: Dim[];
  dtype: DType;
  domain?: string;
}

export class GraphBuilder extends GraphCore {
  // arithmetic (broadcasting)
  add(a: Operand, b: Operand): Tensor { return binary(this, 'Add', a, b); }
  sub(a: Operand, b: Operand): Tensor { return binary(this, 'Sub', a, b); }
  mul(a: Operand, b: Operand): Tensor { return binary(this, 'Mul', a, b); }
  div(a: Operand, b: Operand): Tensor { return binary(this, 'Div', a, b); }
  maximum(a: Operand, b: Operand): Tensor { return binary(this, 'Max', a, b); }
  minimum(a: Operand, b: Operand): Tensor { return binary(this, 'Min', a, b); }
  neg(a: Tensor): Tensor { return unary(this, 'Neg', a); }
  pow(a: Tensor, exponent: number): Tensor { return pow(this, a, exponent); }
  sqrt(a: Tensor): Tensor { return unary(this, 'Sqrt', a); }
  exp(a: Tensor): Tensor { return unary(this, 'Exp', a); }
  log(a: Tensor): Tensor { return unary(this, 'Log', a); }
  abs(a: Tensor): Tensor { return unary(this, 'Abs', a); }
  sin(a: Tensor): Tensor { return unary(this, 'Sin', a); }
  cos(a: Tensor): Tensor { return unary(this, 'Cos', a); }
  sigmoid(a: Tensor): Tensor { return unary(this, 'Sigmoid', a); }
  tanh(a: Tensor): Tensor { return unary(this, 'Tanh', a); }
  relu(a: Tensor): Tensor { return unary(this, 'Relu', a); }
  softplus(a: Tensor): Tensor { return softplus(this, a); }
  logSigmoid(a: Tensor): Tensor { return logSigmoid(this, a); }

  // linear algebra
  matmul(a: Tensor, b: Tensor): Tensor { return matmul(this, a, b); }
  gemm(a: Tensor, b: Tensor, options: GemmOptions = {}): Tensor { return gemm(this, a, b, options); }

  // reductions and normalisers
  reduceSum(a: Tensor, axes: number[], keepdims = false): Tensor { return reduce(this, 'ReduceSum', a, axes, keepdims); }
  reduceMean(a: Tensor, axes: number[], keepdims = false): Tensor { return reduce(this, 'ReduceMean', a, axes, keepdims); }
  reduceMax(a: Tensor, axes: number[], keepdims = false): Tensor { return reduce(this, 'ReduceMax', a, axes, keepdims); }
  cumsum(a: Tensor, axis: number, options: { exclusive?: boolean; reverse?: boolean } = {}): Tensor { return cumsum(this, a, axis, options); }
  softmax(a: Tensor, axis = -1): Tensor { return softmax(this, a, axis); }
  logSoftmax(a: Tensor, axis = -1): Tensor { return logSoftmax(this, a, axis); }
  /** log_softmax(logits)[..., targets] over the last axis, with a closed-form gradient. */
  selectedLogProbs(logits: Tensor, targets: Tensor): Tensor { return selectedLogProbs(this, logits, targets); }

  // indexing
  gather(data: Tensor, indices: Tensor, axis = 0): Tensor { return gather(this, data, indices, axis); }
  gatherElements(data: Tensor, indices: Tensor, axis: number): Tensor { return gatherElements(this, data, indices, axis); }
  where(cond: Tensor, a: Operand, b: Operand): Tensor { return where(this, cond, a, b); }

  // shape
  reshape(a: Tensor, shape: Dim[] | Tensor, declared?: Dim[]): Tensor { return reshape(this, a, shape, declared); }
  transpose(a: Tensor, perm?: number[]): Tensor { return transpose(this, a, perm); }
  slice(a: Tensor, starts: number[], ends: number[], axes?: number[], steps?: number[]): Tensor { return slice(this, a, starts, ends, axes, steps); }
  concat(tensors: readonly Tensor[], axis: number): Tensor { return concat(this, tensors, axis); }
  split(a: Tensor, sizes: number[], axis: number): Tensor[] { return split(this, a, sizes, axis); }
  unsqueeze(a: Tensor, axes: number[]): Tensor { return unsqueeze(this, a, axes); }
  squeeze(a: Tensor, axes: number[]): Tensor { return squeeze(this, a, axes); }
  expand(a: Tensor, shape: Dim[] | Tensor, declared?: Dim[]): Tensor { return expand(this, a, shape, declared); }

  // types and logic (no gradients)
  cast(a: Tensor, dtype: DType): Tensor { return cast(this, a, dtype); }
  equal(a: Operand, b: Operand): Tensor { return compare(this, 'Equal', a, b); }
  less(a: Operand, b: Operand): Tensor { return compare(this, 'Less', a, b); }
  greater(a: Operand, b: Operand): Tensor { return compare(this, 'Greater', a, b); }
  lessOrEqual(a: Operand, b: Operand): Tensor { return compare(this, 'LessOrEqual', a, b); }
  greaterOrEqual(a: Operand, b: Operand): Tensor { return compare(this, 'GreaterOrEqual', a, b); }
  not(a: Tensor): Tensor { return logical(this, 'Not', a); }
  and(a: Tensor, b: Tensor): Tensor { return logical(this, 'And', a, b); }
  or(a: Tensor, b: Tensor): Tensor { return logical(this, 'Or', a, b); }

  // dynamic shapes and masks
  shapeOf(a: Tensor): Tensor { return shapeOf(this, a); }
  dimSize(a: Tensor, axis: number): Tensor { return dimSize(this, a, axis); }
  dimTensor(dim: Dim, ref?: Tensor, op = 'dimTensor'): Tensor { return dimTensor(this, dim, ref, op); }
  range(start: Operand, limit: Operand, delta: Operand, options: { size?: Dim } = {}): Tensor { return range(this, start, limit, delta, options.size); }
  trilu(a: Tensor, options: { upper?: boolean; k?: number | Tensor } = {}): Tensor { return trilu(this, a, options); }
  constantOfShape(shape: Tensor, value = 0, dtype: DType = this.floatType, declared?: Dim[]): Tensor { return constantOfShape(this, shape, value, dtype, declared); }
  zeros(shape: Dim[], dtype: DType = this.floatType): Tensor { return zeros(this, shape, dtype); }

  // gradient control
  identity(a: Tensor): Tensor { return this.emit('Identity', [a], a.shape, a.dtype, { grad: (_g, _op, [dy]) => [dy] }); }
  /** Identity in the forward pass; no gradient flows back through it. */
  stopGradient(a: Tensor): Tensor { return this.emit('Identity', [a], a.shape, a.dtype, { grad: 'stop' }); }

  /** Any ONNX op, without a gradient rule (an error if a gradient must flow through it). */
  rawOp({ opType, inputs, attributes = {}, outputShape, dtype, domain }: RawOpOptions): Tensor {
    return this.emit(opType, inputs, outputShape, dtype, { attrs: attributes, ...(domain ? { domain } : {}) });
  }

  /**
   * Reverse-mode gradients of the scalar `loss` with respect to `wrt`, appended to this graph.
   * Each result has its wrt's shape; zeros where the loss does not depend on it.
   */
  gradients(loss: Tensor, wrt: readonly Tensor[]): Tensor[] { return gradients(this, loss, wrt); }
}

export function createGraph(options: GraphOptions): GraphBuilder {
  return new GraphBuilder(options);
}
