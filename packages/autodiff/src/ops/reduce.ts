// Reductions, cumulative sums and the softmax family. Axes are inputs (ReduceSum from opset 13,
// ReduceMean/ReduceMax from 18: ENGINE-NOTES pitfall).
import type { GraphBuilder } from '../builder.ts';
import { fmtShape, isStaticShape, normAxis } from '../shape.ts';
import type { Dim, Tensor } from '../types.ts';

function reducedShape(shape: readonly Dim[], axes: number[], keepdims: boolean): Dim[] {
  return keepdims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function normAxes(t: Tensor, axes: number[], op: string): number[] {
  // An empty list means every axis (ONNX noop_with_empty_axes = 0).
  const all = axes.length === 0 ? [...t.shape.keys()] : axes.map((a) => normAxis(a, t.shape.length, op));
  return [...new Set(all)].sort((x, y) => x - y);
}

/** Brings a reduced gradient back to the input shape: re-insert reduced axes, then broadcast. */
function spread(g: GraphBuilder, dy: Tensor, x: Tensor, axes: number[], keepdims: boolean): Tensor {
  if (!isStaticShape(x.shape)) throw new Error(`gradient: reduction over ${fmtShape(x.shape)} needs static shapes`);
  const kept = keepdims ? dy : g.reshape(dy, reducedShape(x.shape, axes, true));
  return g.expand(kept, [...x.shape]);
}

type ReduceOp = 'ReduceSum' | 'ReduceMean' | 'ReduceMax';

export function reduce(g: GraphBuilder, opType: ReduceOp, x: Tensor, axesIn: number[], keepdims: boolean): Tensor {
  const axes = normAxes(x, axesIn, opType);
  const shape = reducedShape(x.shape, axes, keepdims);
  const attrs = { keepdims: { type: 'int', value: keepdims ? 1 : 0 } } as const;
  return g.emit(opType, [x, g.ints(axes)], shape, x.dtype, {
    attrs,
    grad: (gg, { inputs: [a], outputs: [y] }, [dy]) => {
      const dx = spread(gg, dy!, a!, axes, keepdims);
      if (opType === 'ReduceSum') return [dx];
      if (opType === 'ReduceMean') {
        const count = axes.reduce((n, i) => n * (a!.shape[i] as number), 1);
        return [gg.div(dx, count)];
      }
      // ReduceMax: the subgradient split evenly between tied maxima (like torch.amax).
      const mask = gg.cast(gg.equal(a!, spread(gg, y!, a!, axes, keepdims)), a!.dtype);
      const ties = gg.reduceSum(mask, axes, true);
      return [gg.div(gg.mul(mask, dx), ties)];
    },
  });
}

export function cumsum(g: GraphBuilder, x: Tensor, axisIn: number, { exclusive = false, reverse = false } = {}): Tensor {
  const axis = normAxis(axisIn, x.shape.length, 'cumsum');
  const attrs = { exclusive: { type: 'int', value: exclusive ? 1 : 0 }, reverse: { type: 'int', value: reverse ? 1 : 0 } } as const;
  return g.emit('CumSum', [x, g.scalar(axis, 'int64')], x.shape, x.dtype, {
    attrs,
    // The adjoint of a prefix sum is the suffix sum (and vice versa), with the same exclusivity.
    grad: (gg, _op, [dy]) => [gg.cumsum(dy!, axis, { exclusive, reverse: !reverse })],
  });
}

export function softmax(g: GraphBuilder, x: Tensor, axisIn: number): Tensor {
  const axis = normAxis(axisIn, x.shape.length, 'softmax');
  return g.emit('Softmax', [x], x.shape, x.dtype, {
    attrs: { axis: { type: 'int', value: axis } },
    // dx = y * (dy - sum(dy * y))
    grad: (gg, { outputs: [y] }, [dy]) => [gg.mul(y!, gg.sub(dy!, gg.reduceSum(gg.mul(dy!, y!), [axis], true)))],
  });
}

export function logSoftmax(g: GraphBuilder, x: Tensor, axisIn: number): Tensor {
  const axis = normAxis(axisIn, x.shape.length, 'logSoftmax');
  return g.emit('LogSoftmax', [x], x.shape, x.dtype, {
    attrs: { axis: { type: 'int', value: axis } },
    // dx = dy - softmax(x) * sum(dy)
    grad: (gg, { outputs: [y] }, [dy]) => [gg.sub(dy!, gg.mul(gg.exp(y!), gg.reduceSum(dy!, [axis], true)))],
  });
}

/**
 * log_softmax(logits)[..., target] over the last axis, as logits[target] - logsumexp(logits),
 * without materialising the log-softmax (torch's cross_entropy computes the same quantity).
 * `targets` has the logits' shape without the last axis; so has the result.
 *
 * Its gradient is written in closed form, d logits = dy * (onehot(target) - softmax(logits)):
 * one Softmax, one Mul and one ScatterElements-add over the [..., V] logits. The generic rules of
 * LogSoftmax + GatherElements would make a zero tensor, scatter into it, then Exp, ReduceSum,
 * Mul and Sub over the same size: at a 32k vocabulary those [B, T, V] passes are a large share of
 * a training step that is not a matrix product (bench/README.md).
 */
export function selectedLogProbs(g: GraphBuilder, logits: Tensor, targets: Tensor): Tensor {
  const last = logits.shape.length - 1;
  if (targets.shape.length !== last) {
    throw new Error(`selectedLogProbs: targets ${fmtShape(targets.shape)} must have the shape of logits ${fmtShape(logits.shape)} without its last axis`);
  }
  if (targets.dtype !== 'int64') throw new Error(`selectedLogProbs: targets ${targets.name} have dtype ${targets.dtype}; use int64`);
  const idx = g.unsqueeze(targets, [last]); // [..., 1]
  const keep = { keepdims: { type: 'int', value: 1 } } as const;
  const lse = g.emit('ReduceLogSumExp', [logits, g.ints([last])], reducedShape(logits.shape, [last], true), logits.dtype, { attrs: keep, grad: 'stop' });
  const picked = g.emit('GatherElements', [logits, idx], idx.shape, logits.dtype, { attrs: { axis: { type: 'int', value: last } }, grad: 'stop' });
  const y = g.squeeze(g.sub(picked, lse), [last]);
  return g.emit('Identity', [y], y.shape, y.dtype, {
    gradInputs: [logits],
    grad: (gg, { inputs: [l] }, [dy]) => {
      const up = gg.unsqueeze(dy!, [last]); // [..., 1]
      const spread = gg.mul(gg.softmax(l!, last), gg.neg(up)); // -dy * softmax
      return [
        gg.emit('ScatterElements', [spread, idx, up], l!.shape, l!.dtype, {
          attrs: { axis: { type: 'int', value: last }, reduction: { type: 'string', value: 'add' } },
          grad: 'stop',
        }),
      ];
    },
  });
}
