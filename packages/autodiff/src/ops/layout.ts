// Ops that move or reinterpret data: reshape, transpose, slice, concat, split, (un)squeeze, expand,
// cast. Their gradients are the inverse movement (needs static shapes).
import type { GraphBuilder } from '../builder.ts';
import { ONNX_DTYPE } from '../onnx.ts';
import { addDims, broadcastShapes, fmtShape, isStaticShape, normAxis, reshapeShape } from '../shape.ts';
import { DTYPES, isFloat } from '../types.ts';
import type { Dim, DType, Tensor } from '../types.ts';
import { unbroadcast } from './elementwise.ts';

function staticShape(t: Tensor, op: string): number[] {
  if (!isStaticShape(t.shape)) throw new Error(`gradient of ${op}: ${t.name} has symbolic shape ${fmtShape(t.shape)}; build training graphs with static shapes`);
  return [...t.shape];
}

/**
 * An int64 shape tensor for `dims`. Numbers are constants; a symbolic dim is read at run time from
 * `ref` (or any graph input) that has it. `keep` names the value (0 for Reshape, 1 for Expand) that
 * makes ONNX keep ref's dim at the same position, which avoids a Shape op in the common case.
 */
export function shapeTensor(g: GraphBuilder, dims: readonly Dim[], ref: Tensor | undefined, keep: 0 | 1 | undefined, op: string): Tensor {
  if (dims.every((d) => typeof d === 'number')) return g.ints(dims as number[]);
  const pieces: Tensor[] = [];
  let run: number[] = [];
  const flush = (): void => {
    if (run.length) pieces.push(g.ints(run));
    run = [];
  };
  dims.forEach((d, i) => {
    if (typeof d === 'number') run.push(d);
    else if (keep !== undefined && ref && ref.shape[i] === d && (keep === 1 || ref.shape.length > i)) run.push(keep);
    else {
      flush();
      pieces.push(g.dimTensor(d, ref, op));
    }
  });
  flush();
  return pieces.length === 1 ? pieces[0]! : g.concat(pieces, 0);
}

export function reshape(g: GraphBuilder, x: Tensor, shape: readonly Dim[] | Tensor, declared?: readonly Dim[]): Tensor {
  let out: Dim[];
  let st: Tensor;
  if (Array.isArray(shape)) {
    out = reshapeShape(x.shape, shape, `reshape ${x.name}`);
    st = shapeTensor(g, shape, x, 0, 'reshape');
  } else {
    const t = shape as Tensor;
    const rank = t.shape[0];
    if (t.dtype !== 'int64' || t.shape.length !== 1 || typeof rank !== 'number')
      throw new Error(`reshape: a shape tensor must be int64 1-D with a static length (got ${t.dtype} ${fmtShape(t.shape)})`);
    out = declared ? [...declared] : Array.from({ length: rank }, () => '?');
    st = t;
  }
  return g.emit('Reshape', [x, st], out, x.dtype, {
    grad: (gg, { inputs: [a] }, [dy]) => [gg.reshape(dy!, staticShape(a!, 'reshape'))],
  });
}

export function transpose(g: GraphBuilder, x: Tensor, perm?: number[]): Tensor {
  const r = x.shape.length;
  const p = perm ?? [...Array(r).keys()].reverse();
  if (p.length !== r || [...p].sort((a, b) => a - b).some((v, i) => v !== i))
    throw new Error(`transpose: perm [${p.join(', ')}] is not a permutation of 0..${r - 1} for ${x.name} ${fmtShape(x.shape)}`);
  const inverse = new Array<number>(r);
  p.forEach((v, i) => (inverse[v] = i));
  return g.emit('Transpose', [x], p.map((i) => x.shape[i]!), x.dtype, {
    attrs: { perm: { type: 'ints', value: p } },
    grad: (gg, _op, [dy]) => [gg.transpose(dy!, inverse)],
  });
}

/** Python/ONNX slice bounds for a numeric dim: [clamped start, output length]. */
function sliceBounds(d: number, s: number, e: number, step: number): [number, number] {
  if (step > 0) {
    const a = s < 0 ? Math.max(0, s + d) : Math.min(s, d);
    const b = e < 0 ? Math.max(0, e + d) : Math.min(e, d);
    return [a, Math.max(0, Math.ceil((b - a) / step))];
  }
  const a = s < 0 ? Math.max(-1, s + d) : Math.min(s, d - 1);
  const b = e < 0 ? Math.max(-1, e + d) : Math.min(e, d - 1);
  return [a, Math.max(0, Math.ceil((a - b) / -step))];
}

export function slice(g: GraphBuilder, x: Tensor, starts: number[], ends: number[], axesIn?: number[], stepsIn?: number[]): Tensor {
  const r = x.shape.length;
  const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => normAxis(a, r, 'slice'));
  const steps = stepsIn ?? axes.map(() => 1);
  if (starts.length !== axes.length || ends.length !== axes.length || steps.length !== axes.length || steps.some((s) => s === 0))
    throw new Error(`slice: starts, ends, axes and steps need one non-zero entry per sliced axis (got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length})`);
  const out: Dim[] = [...x.shape];
  const bounds = new Map<number, [number, number, number]>(); // axis -> [start, length, step]
  axes.forEach((axis, i) => {
    const d = x.shape[axis]!;
    const [s, e, st] = [starts[i]!, ends[i]!, steps[i]!];
    if (typeof d === 'number') {
      const [a, len] = sliceBounds(d, s, e, st);
      out[axis] = len;
      bounds.set(axis, [a, len, st]);
    } else out[axis] = s === 0 && st === 1 && e >= 2 ** 31 - 1 ? d : '?';
  });
  const big = (v: number): number => Math.max(-(2 ** 62), Math.min(2 ** 62, v));
  return g.emit('Slice', [x, g.ints(starts.map(big)), g.ints(ends.map(big)), g.ints(axes), g.ints(steps)], out, x.dtype, {
    grad: (gg, { inputs: [a], outputs: [y] }, [dy]) => {
      const shape = staticShape(a!, 'slice');
      const ys = staticShape(y!, 'slice');
      if (steps.every((s) => s === 1)) {
        // Unit steps: the gradient is dy zero-padded back to the input's extent.
        const begin = shape.map((_, i) => bounds.get(i)?.[0] ?? 0);
        const end = shape.map((d, i) => d - begin[i]! - ys[i]!);
        return [gg.emit('Pad', [dy!, gg.ints([...begin, ...end]), gg.scalar(0, dy!.dtype)], shape, dy!.dtype, { grad: 'stop' })];
      }
      // Strided slices: scatter dy to its source positions (indices are known statically).
      const n = ys.reduce((p, v) => p * v, 1);
      const idx = new Array<bigint>(n * shape.length);
      const pos = new Array<number>(ys.length).fill(0);
      for (let k = 0; k < n; k++) {
        for (let i = 0; i < shape.length; i++) {
          const b = bounds.get(i);
          idx[k * shape.length + i] = BigInt(b ? b[0] + pos[i]! * b[2] : pos[i]!);
        }
        for (let i = ys.length - 1; i >= 0 && ++pos[i]! === ys[i]; i--) pos[i] = 0;
      }
      const indices = gg.constant(idx, [...ys, shape.length], 'int64');
      return [gg.emit('ScatterND', [gg.zeros(shape, dy!.dtype), indices, dy!], shape, dy!.dtype, { grad: 'stop' })];
    },
  });
}

export function concat(g: GraphBuilder, ts: readonly Tensor[], axisIn: number): Tensor {
  const first = ts[0];
  if (!first) throw new Error('concat: needs at least one tensor');
  const axis = normAxis(axisIn, first.shape.length, 'concat');
  for (const t of ts) {
    if (t.dtype !== first.dtype || t.shape.length !== first.shape.length)
      throw new Error(`concat: ${t.name} (${t.dtype} ${fmtShape(t.shape)}) does not match ${first.name} (${first.dtype} ${fmtShape(first.shape)})`);
  }
  const out = first.shape.map((d, i) => (i === axis ? ts.slice(1).reduce<Dim>((s, t) => addDims(s, t.shape[i]!), d) : d));
  return g.emit('Concat', [...ts], out, first.dtype, {
    attrs: { axis: { type: 'int', value: axis } },
    grad: (gg, { inputs }, [dy], needs) => {
      const sizes = inputs.map((t) => staticShape(t, 'concat')[axis]!);
      const parts = gg.split(dy!, sizes, axis);
      return parts.map((p, i) => (needs[i] ? p : undefined));
    },
  });
}

export function split(g: GraphBuilder, x: Tensor, sizes: number[], axisIn: number): Tensor[] {
  const axis = normAxis(axisIn, x.shape.length, 'split');
  const d = x.shape[axis]!;
  const total = sizes.reduce((a, b) => a + b, 0);
  if (typeof d === 'number' && total !== d) throw new Error(`split: sizes [${sizes.join(', ')}] sum to ${total}, but axis ${axis} of ${x.name} has ${d}`);
  const outs = sizes.map((s) => ({ shape: x.shape.map((v, i) => (i === axis ? s : v)), dtype: x.dtype }));
  return g.emitMulti('Split', [x, g.ints(sizes)], outs, {
    attrs: { axis: { type: 'int', value: axis } },
    grad: (gg, { outputs }, dys) => [gg.concat(outputs.map((o, i) => dys[i] ?? gg.zeros(staticShape(o, 'split'), o.dtype)), axis)],
  });
}

export function unsqueeze(g: GraphBuilder, x: Tensor, axesIn: number[]): Tensor {
  const rank = x.shape.length + axesIn.length;
  const axes = axesIn.map((a) => normAxis(a, rank, 'unsqueeze'));
  const rest = [...x.shape];
  const out = Array.from({ length: rank }, (_, i) => (axes.includes(i) ? 1 : rest.shift()!));
  return g.emit('Unsqueeze', [x, g.ints(axes)], out, x.dtype, {
    grad: (gg, { inputs: [a] }, [dy]) => [gg.reshape(dy!, staticShape(a!, 'unsqueeze'))],
  });
}

export function squeeze(g: GraphBuilder, x: Tensor, axesIn: number[]): Tensor {
  const axes = axesIn.map((a) => normAxis(a, x.shape.length, 'squeeze'));
  for (const a of axes) {
    if (typeof x.shape[a] === 'number' && x.shape[a] !== 1) throw new Error(`squeeze: axis ${a} of ${x.name} ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1`);
  }
  return g.emit('Squeeze', [x, g.ints(axes)], x.shape.filter((_, i) => !axes.includes(i)), x.dtype, {
    grad: (gg, { inputs: [a] }, [dy]) => [gg.reshape(dy!, staticShape(a!, 'squeeze'))],
  });
}

export function expand(g: GraphBuilder, x: Tensor, shape: readonly Dim[] | Tensor, declared?: readonly Dim[]): Tensor {
  let out: Dim[];
  let st: Tensor;
  if (Array.isArray(shape)) {
    out = broadcastShapes(x.shape, shape, 'expand');
    const lead = shape.length - x.shape.length;
    // A dim equal to x's own (aligned from the right) can be given as 1: Expand keeps it.
    const aligned = shape.map((d, i) => (i >= lead && typeof d === 'string' && x.shape[i - lead] === d ? 1 : d));
    st = shapeTensor(g, aligned, x, undefined, 'expand');
  } else {
    const t = shape as Tensor;
    out = declared ? broadcastShapes(x.shape, declared, 'expand') : Array.from({ length: Number(t.shape[0]) }, () => '?');
    st = t;
  }
  return g.emit('Expand', [x, st], out, x.dtype, {
    grad: (gg, { inputs: [a] }, [dy]) => [unbroadcast(gg, dy!, a!.shape)],
  });
}

export function cast(g: GraphBuilder, x: Tensor, dtype: DType): Tensor {
  if (!DTYPES.includes(dtype)) throw new Error(`cast: dtype "${dtype}" is not one of ${DTYPES.join(', ')}`);
  return g.emit('Cast', [x], x.shape, dtype, {
    attrs: { to: { type: 'int', value: ONNX_DTYPE[dtype] } },
    // Float-to-float casts pass the gradient back in the input precision; casts to ints/bools stop it.
    grad: isFloat(x.dtype) && isFloat(dtype) ? (gg, { inputs: [a] }, [dy]) => [gg.cast(dy!, a!.dtype)] : 'stop',
  });
}
