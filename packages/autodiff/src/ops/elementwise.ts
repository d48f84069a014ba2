// Elementwise ops with NumPy/ONNX broadcasting. Gradients of broadcast operands are summed back to
// the operand's shape (unbroadcast), as in every reverse-mode system.
import type { GraphBuilder } from '../builder.ts';
import { broadcastShapes, fmtShape, isStaticShape, sameShape } from '../shape.ts';
import { isFloat } from '../types.ts';
import type { Dim, Operand, Tensor } from '../types.ts';

/** Turns a number operand into a scalar of the other operand's dtype. */
export function operands(g: GraphBuilder, a: Operand, b: Operand, op: string): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') return [g.scalar(a), g.scalar(b)];
  const ta = typeof a === 'number' ? g.scalar(a, (b as Tensor).dtype) : a;
  const tb = typeof b === 'number' ? g.scalar(b, ta.dtype) : b;
  if (ta.dtype !== tb.dtype)
    throw new Error(`${op}: operand dtypes differ (${ta.name}: ${ta.dtype}, ${tb.name}: ${tb.dtype}); cast one with g.cast(t, dtype)`);
  return [ta, tb];
}

/** Sums `grad` over the axes that broadcasting expanded, then reshapes it to `shape`. */
export function unbroadcast(g: GraphBuilder, grad: Tensor, shape: readonly Dim[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  if (!isStaticShape(grad.shape) || !isStaticShape(shape))
    throw new Error(`gradient: cannot reduce a gradient of shape ${fmtShape(grad.shape)} to ${fmtShape(shape)} with symbolic dims; build training graphs with static shapes`);
  const lead = grad.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < grad.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? g.reduceSum(grad, axes, true) : grad;
  return g.reshape(summed, [...shape]);
}

type Binary = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Max' | 'Min';

export function binary(g: GraphBuilder, opType: Binary, a: Operand, b: Operand): Tensor {
  const [x, y] = operands(g, a, b, opType);
  const shape = broadcastShapes(x.shape, y.shape, opType);
  return g.emit(opType, [x, y], shape, x.dtype, { grad: isFloat(x.dtype) ? binaryGrads[opType] : 'stop' });
}

const binaryGrads: Record<Binary, (g: GraphBuilder, op: { inputs: readonly Tensor[]; outputs: readonly Tensor[] }, dys: readonly (Tensor | undefined)[], needs: readonly boolean[]) => (Tensor | undefined)[]> = {
  Add: (g, { inputs: [a, b] }, [dy], needs) => [needs[0] ? unbroadcast(g, dy!, a!.shape) : undefined, needs[1] ? unbroadcast(g, dy!, b!.shape) : undefined],
  Sub: (g, { inputs: [a, b] }, [dy], needs) => [needs[0] ? unbroadcast(g, dy!, a!.shape) : undefined, needs[1] ? unbroadcast(g, g.neg(dy!), b!.shape) : undefined],
  Mul: (g, { inputs: [a, b] }, [dy], needs) => [
    needs[0] ? unbroadcast(g, g.mul(dy!, b!), a!.shape) : undefined,
    needs[1] ? unbroadcast(g, g.mul(dy!, a!), b!.shape) : undefined,
  ],
  // d(a/b)/da = 1/b; d(a/b)/db = -(a/b)/b
  Div: (g, { inputs: [a, b], outputs: [y] }, [dy], needs) => [
    needs[0] ? unbroadcast(g, g.div(dy!, b!), a!.shape) : undefined,
    needs[1] ? unbroadcast(g, g.neg(g.div(g.mul(dy!, y!), b!)), b!.shape) : undefined,
  ],
  // Ties route the whole gradient to the first operand (a subgradient).
  Max: (g, { inputs: [a, b] }, [dy], needs) => routeByMask(g, g.greaterOrEqual(a!, b!), dy!, a!, b!, needs),
  Min: (g, { inputs: [a, b] }, [dy], needs) => routeByMask(g, g.lessOrEqual(a!, b!), dy!, a!, b!, needs),
};

function routeByMask(g: GraphBuilder, mask: Tensor, dy: Tensor, a: Tensor, b: Tensor, needs: readonly boolean[]): (Tensor | undefined)[] {
  return [
    needs[0] ? unbroadcast(g, g.where(mask, dy, 0), a.shape) : undefined,
    needs[1] ? unbroadcast(g, g.where(mask, 0, dy), b.shape) : undefined,
  ];
}

type Unary = 'Neg' | 'Sqrt' | 'Exp' | 'Log' | 'Sigmoid' | 'Tanh' | 'Relu' | 'Abs' | 'Sin' | 'Cos';

const unaryGrads: Record<Unary, (g: GraphBuilder, x: Tensor, y: Tensor, dy: Tensor) => Tensor> = {
  Neg: (g, _x, _y, dy) => g.neg(dy),
  Sqrt: (g, _x, y, dy) => g.div(dy, g.mul(y, 2)),
  Exp: (g, _x, y, dy) => g.mul(dy, y),
  Log: (g, x, _y, dy) => g.div(dy, x),
  Sigmoid: (g, _x, y, dy) => g.mul(dy, g.mul(y, g.sub(1, y))),
  Tanh: (g, _x, y, dy) => g.mul(dy, g.sub(1, g.mul(y, y))),
  Relu: (g, x, _y, dy) => g.where(g.greater(x, 0), dy, 0),
  Abs: (g, x, _y, dy) => g.mul(dy, g.emit('Sign', [x], x.shape, x.dtype, { grad: 'stop' })),
  Sin: (g, x, _y, dy) => g.mul(dy, g.cos(x)),
  Cos: (g, x, _y, dy) => g.neg(g.mul(dy, g.sin(x))),
};

export function unary(g: GraphBuilder, opType: Unary, x: Tensor): Tensor {
  if (opType !== 'Neg' && opType !== 'Abs' && !isFloat(x.dtype))
    throw new Error(`${opType}: input ${x.name} has dtype ${x.dtype}; it needs float32 or float64 (cast it first)`);
  const rule = unaryGrads[opType];
  return g.emit(opType, [x], x.shape, x.dtype, {
    grad: isFloat(x.dtype) ? (gg, op, [dy]) => [rule(gg, op.inputs[0]!, op.outputs[0]!, dy!)] : 'stop',
  });
}

export function pow(g: GraphBuilder, x: Tensor, exponent: number): Tensor {
  if (!isFloat(x.dtype)) throw new Error(`pow: input ${x.name} has dtype ${x.dtype}; it needs a float dtype`);
  return g.emit('Pow', [x, g.scalar(exponent, x.dtype)], x.shape, x.dtype, {
    // d x^e = e x^(e-1); written without Pow for e = 1, 2 so it stays exact at x = 0.
    grad: (gg, { inputs: [a] }, [dy]) => {
      if (exponent === 1) return [dy, undefined];
      const d = exponent === 2 ? gg.mul(a!, 2) : gg.mul(gg.pow(a!, exponent - 1), exponent);
      return [gg.mul(dy!, d), undefined];
    },
  });
}

/** softplus(x) = log(1 + e^x), computed as relu(x) + log(1 + e^-|x|) so it never overflows; d/dx = sigmoid(x). */
export function softplus(g: GraphBuilder, x: Tensor): Tensor {
  const s = g.stopGradient(x);
  const y = g.add(g.relu(s), g.log(g.add(g.exp(g.neg(g.abs(s))), 1)));
  return g.emit('Identity', [y], x.shape, x.dtype, { gradInputs: [x], grad: (gg, { inputs: [a] }, [dy]) => [gg.mul(dy!, gg.sigmoid(a!))] });
}

/** log sigmoid(x) = -softplus(-x) (the DPO/SPPO log-likelihood form); d/dx = sigmoid(-x). */
export function logSigmoid(g: GraphBuilder, x: Tensor): Tensor {
  const s = g.stopGradient(x);
  const y = g.neg(g.add(g.relu(g.neg(s)), g.log(g.add(g.exp(g.neg(g.abs(s))), 1))));
  return g.emit('Identity', [y], x.shape, x.dtype, { gradInputs: [x], grad: (gg, { inputs: [a] }, [dy]) => [gg.mul(dy!, gg.sigmoid(gg.neg(a!)))] });
}
