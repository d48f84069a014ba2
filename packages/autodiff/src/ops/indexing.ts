// Gather (embeddings), GatherElements (token log-probs) and Where, with scatter-add gradients.
import type { GraphBuilder } from '../builder.ts';
import { broadcastShapes, fmtShape, isStaticShape, normAxis } from '../shape.ts';
import type { Operand, Tensor } from '../types.ts';
import { unbroadcast } from './elementwise.ts';

function checkIndices(op: string, t: Tensor): void {
  if (t.dtype !== 'int64' && t.dtype !== 'int32') throw new Error(`${op}: indices ${t.name} have dtype ${t.dtype}; use int64 or int32`);
}

export function gather(g: GraphBuilder, data: Tensor, indices: Tensor, axisIn: number): Tensor {
  checkIndices('gather', indices);
  const axis = normAxis(axisIn, data.shape.length, 'gather');
  const out = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  return g.emit('Gather', [data, indices], out, data.dtype, {
    attrs: { axis: { type: 'int', value: axis } },
    grad: (gg, { inputs: [d, idx] }, [dy]) => [gatherGrad(gg, d!, idx!, dy!, axis)],
  });
}

/**
 * dData of Gather: the rows of dy added into zeros at `indices` (repeated indices accumulate).
 * The gathered axis is moved to the front so both variants scatter along axis 0:
 * 'scatter' uses ScatterND reduction='add' (opset >= 16); 'onehot' builds an Equal+Cast one-hot
 * (OneHot has no double kernel) and multiplies, which works on every execution provider.
 */
function gatherGrad(g: GraphBuilder, data: Tensor, indices: Tensor, dy: Tensor, axis: number): Tensor {
  if (!isStaticShape(data.shape) || !isStaticShape(indices.shape))
    throw new Error(`gradient of gather: ${data.name} ${fmtShape(data.shape)} and indices ${fmtShape(indices.shape)} need static shapes`);
  const D = [...data.shape];
  const q = indices.shape.length;
  const n = indices.shape.reduce((p, v) => p * v, 1);
  const outer = D.slice(0, axis);
  const inner = D.slice(axis + 1);
  let front = dy;
  if (axis > 0 && q > 0) {
    const r = dy.shape.length;
    const perm = [...Array(q).keys()].map((i) => axis + i);
    for (let i = 0; i < r; i++) if (i < axis || i >= axis + q) perm.push(i);
    front = g.transpose(dy, perm);
  }
  const rest = [...outer, ...inner];
  const flatIdx = g.reshape(indices.dtype === 'int64' ? indices : g.cast(indices, 'int64'), [n]);
  let moved: Tensor; // [D[axis], ...outer, ...inner]
  if (g.gatherGradient === 'scatter') {
    const updates = g.reshape(front, [n, ...rest]);
    moved = g.emit('ScatterND', [g.zeros([D[axis]!, ...rest], dy.dtype), g.reshape(flatIdx, [n, 1]), updates], [D[axis]!, ...rest], dy.dtype, {
      attrs: { reduction: { type: 'string', value: 'add' } },
      grad: 'stop',
    });
  } else {
    const width = rest.reduce((p, v) => p * v, 1);
    const classes = g.range(0, D[axis]!, 1);
    const oneHot = g.cast(g.equal(g.unsqueeze(flatIdx, [1]), classes), dy.dtype); // [n, D[axis]]
    moved = g.reshape(g.gemm(oneHot, g.reshape(front, [n, width]), { transA: true }), [D[axis]!, ...rest]);
  }
  if (axis === 0) return moved;
  const back = [...Array(axis).keys()].map((i) => i + 1);
  back.push(0);
  for (let i = axis + 1; i < D.length; i++) back.push(i);
  return g.transpose(moved, back);
}

export function gatherElements(g: GraphBuilder, data: Tensor, indices: Tensor, axisIn: number): Tensor {
  checkIndices('gatherElements', indices);
  const axis = normAxis(axisIn, data.shape.length, 'gatherElements');
  if (indices.shape.length !== data.shape.length)
    throw new Error(`gatherElements: indices ${fmtShape(indices.shape)} must have the rank of data ${fmtShape(data.shape)}`);
  return g.emit('GatherElements', [data, indices], indices.shape, data.dtype, {
    attrs: { axis: { type: 'int', value: axis } },
    grad: (gg, { inputs: [d, idx] }, [dy]) => {
      if (!isStaticShape(d!.shape)) throw new Error(`gradient of gatherElements: ${d!.name} ${fmtShape(d!.shape)} needs a static shape`);
      const zeros = gg.zeros([...d!.shape], dy!.dtype);
      return [
        gg.emit('ScatterElements', [zeros, idx!, dy!], d!.shape, dy!.dtype, {
          attrs: { axis: { type: 'int', value: axis }, reduction: { type: 'string', value: 'add' } },
          grad: 'stop',
        }),
      ];
    },
  });
}

export function where(g: GraphBuilder, cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== 'bool') throw new Error(`where: condition ${cond.name} has dtype ${cond.dtype}; it must be bool (compare with equal/less/greater)`);
  const ta = typeof a === 'number' ? g.scalar(a, typeof b === 'number' ? g.floatType : b.dtype) : a;
  const tb = typeof b === 'number' ? g.scalar(b, ta.dtype) : b;
  if (ta.dtype !== tb.dtype) throw new Error(`where: branch dtypes differ (${ta.name}: ${ta.dtype}, ${tb.name}: ${tb.dtype})`);
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  return g.emit('Where', [cond, ta, tb], shape, ta.dtype, {
    grad: (gg, { inputs: [c, x, y] }, [dy], needs) => [
      undefined,
      needs[1] ? unbroadcast(gg, gg.where(c!, dy!, 0), x!.shape) : undefined,
      needs[2] ? unbroadcast(gg, gg.where(c!, 0, dy!), y!.shape) : undefined,
    ],
  });
}
