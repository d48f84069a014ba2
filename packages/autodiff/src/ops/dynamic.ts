// Shape-reading and mask-building ops that work with symbolic dims: Shape, Range, Trilu,
// ConstantOfShape, comparisons. Causal masks and rotary tables are built in-graph from these
// (ENGINE-NOTES: storing them would cost 64 MB of constants at T = 4096).
import type { GraphBuilder } from '../builder.ts';
import { encodeValues } from '../types.ts';
import type { Dim, DType, Operand, Tensor } from '../types.ts';
import { operands } from './elementwise.ts';
import { broadcastShapes, fmtShape, normAxis } from '../shape.ts';

export function shapeOf(g: GraphBuilder, x: Tensor, start?: number, end?: number): Tensor {
  const r = x.shape.length;
  const s = start === undefined ? 0 : start < 0 ? start + r : start;
  const e = end === undefined ? r : end < 0 ? end + r : end;
  const attrs = { ...(start !== undefined ? { start: { type: 'int', value: start } as const } : {}), ...(end !== undefined ? { end: { type: 'int', value: end } as const } : {}) };
  return g.emit('Shape', [x], [Math.max(0, e - s)], 'int64', { attrs, grad: 'stop' });
}

/** The run-time size of one axis of `x`, as an int64 scalar (shape []). */
export function dimSize(g: GraphBuilder, x: Tensor, axisIn: number): Tensor {
  const axis = normAxis(axisIn, x.shape.length, 'dimSize');
  const d = x.shape[axis]!;
  if (typeof d === 'number') return g.scalar(d, 'int64');
  return g.reshape(shapeOf(g, x, axis, axis + 1), []);
}

/** An int64 [1] tensor holding `dim`: a constant, or read at run time from `ref` or a graph input with that symbol. */
export function dimTensor(g: GraphBuilder, dim: Dim, ref: Tensor | undefined, op: string): Tensor {
  if (typeof dim === 'number') return g.ints([dim]);
  for (const t of [...(ref ? [ref] : []), ...g.inputs]) {
    const j = t.shape.indexOf(dim);
    if (j >= 0) return shapeOf(g, t, j, j + 1);
  }
  throw new Error(
    `${op}: symbolic dim "${dim}" is not a dim of any graph input${ref ? ` or of ${ref.name}` : ''}; ` +
      'declare an input with that dim, or pass a shape tensor built with shapeOf/dimSize/concat',
  );
}

/** A tensor of `shape` filled with `value` (ConstantOfShape: no stored data). */
export function constantOfShape(g: GraphBuilder, shape: Tensor, value: number, dtype: DType, declared?: readonly Dim[]): Tensor {
  if (shape.dtype !== 'int64' || shape.shape.length !== 1 || typeof shape.shape[0] !== 'number')
    throw new Error(`constantOfShape: shape must be an int64 1-D tensor of static length (got ${shape.dtype} ${fmtShape(shape.shape)})`);
  const out = declared ? [...declared] : Array.from({ length: shape.shape[0] }, () => '?');
  const v = { type: 'tensor', value: { name: 'value', dtype, dims: [1], raw: encodeValues(dtype === 'int64' ? [BigInt(value)] : [value], dtype) } } as const;
  return g.emit('ConstantOfShape', [shape], out, dtype, { attrs: { value: v }, grad: 'stop' });
}

export function zeros(g: GraphBuilder, shape: readonly Dim[], dtype: DType): Tensor {
  const st = shape.every((d) => typeof d === 'number') ? g.ints(shape as number[]) : g.concat(shape.map((d) => dimTensor(g, d, undefined, 'zeros')), 0);
  return constantOfShape(g, st, 0, dtype, shape);
}

export function range(g: GraphBuilder, start: Operand, limit: Operand, delta: Operand, size?: Dim): Tensor {
  const like = [start, limit, delta].find((v): v is Tensor => typeof v !== 'number');
  const dtype = like?.dtype ?? 'int64';
  const t = [start, limit, delta].map((v) => (typeof v === 'number' ? g.scalar(v, dtype) : v));
  for (const v of t) if (v.dtype !== dtype || v.shape.length !== 0) throw new Error(`range: start, limit and delta must be scalars (shape []) of one dtype; got ${v.name}: ${v.dtype} ${fmtShape(v.shape)}`);
  let n: Dim = size ?? '?';
  if (size === undefined && typeof start === 'number' && typeof limit === 'number' && typeof delta === 'number')
    n = Math.max(0, Math.ceil((limit - start) / delta));
  return g.emit('Range', t, [n], dtype, { grad: 'stop' });
}

export function trilu(g: GraphBuilder, x: Tensor, { upper = true, k = 0 }: { upper?: boolean; k?: number | Tensor } = {}): Tensor {
  const kt = typeof k === 'number' ? g.scalar(k, 'int64') : k;
  return g.emit('Trilu', [x, kt], x.shape, x.dtype, {
    attrs: { upper: { type: 'int', value: upper ? 1 : 0 } },
    grad: (gg, _op, [dy]) => [gg.trilu(dy!, { upper, k }), undefined],
  });
}

type Compare = 'Equal' | 'Less' | 'Greater' | 'LessOrEqual' | 'GreaterOrEqual';

export function compare(g: GraphBuilder, opType: Compare, a: Operand, b: Operand): Tensor {
  const [x, y] = operands(g, a, b, opType);
  return g.emit(opType, [x, y], broadcastShapes(x.shape, y.shape, opType), 'bool', { grad: 'stop' });
}

export function logical(g: GraphBuilder, opType: 'And' | 'Or' | 'Not', a: Tensor, b?: Tensor): Tensor {
  for (const t of b ? [a, b] : [a]) if (t.dtype !== 'bool') throw new Error(`${opType}: ${t.name} has dtype ${t.dtype}; logical ops take bool tensors`);
  const shape = b ? broadcastShapes(a.shape, b.shape, opType) : a.shape;
  return g.emit(opType, b ? [a, b] : [a], shape, 'bool', { grad: 'stop' });
}
