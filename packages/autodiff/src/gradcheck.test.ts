// Every gradient rule against float64 central differences over every element (ENGINE-NOTES: the
// prototype saw 3e-9..6e-9 relative error; we allow 1e-6).
import { describe, expect, it } from 'vitest';
import { checkGradients } from './gradcheck.ts';
import type { GradientCheckOptions } from './gradcheck.ts';

const TOL = 1e-6;
type Case = [string, Omit<GradientCheckOptions, 'seed'> & { tol?: number }];
// A fixed random weighting makes the scalar loss sensitive to every output element.
const w = (shape: number[]): { shape: number[]; values: number[] } => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 0.3)) };
};

const cases: Case[] = [
  ['add broadcast', { params: { a: { shape: [2, 3, 4] }, b: { shape: [3, 1] } }, build: (g, { a, b }) => g.reduceSum(g.mul(g.add(a!, b!), g.constant(w([2, 3, 4]).values, [2, 3, 4])), []) }],
  ['sub broadcast', { params: { a: { shape: [4] }, b: { shape: [2, 1, 4] } }, build: (g, { a, b }) => g.reduceSum(g.pow(g.sub(a!, b!), 2), []) }],
  ['mul broadcast + scalar', { params: { a: { shape: [2, 3] }, b: { shape: [1, 3] } }, build: (g, { a, b }) => g.reduceSum(g.mul(g.mul(a!, b!), g.mul(a!, 0.5)), []) }],
  ['div broadcast', { params: { a: { shape: [2, 3] }, b: { shape: [3], values: [1.5, -2, 2.5] } }, build: (g, { a, b }) => g.reduceSum(g.div(a!, b!), []) }],
  ['neg, exp, log, sqrt', { params: { a: { shape: [5], values: [0.3, 1.2, 2.5, 0.7, 4] } }, build: (g, { a }) => g.reduceSum(g.add(g.neg(g.exp(a!)), g.mul(g.log(a!), g.sqrt(a!))), []) }],
  ['pow 3 and 0.5', { params: { a: { shape: [4], values: [0.5, 1.5, 2, 3] } }, build: (g, { a }) => g.reduceSum(g.add(g.pow(a!, 3), g.pow(a!, 0.5)), []) }],
  ['sigmoid, tanh, relu, abs', { params: { a: { shape: [6], values: [-2, -0.7, -0.1, 0.2, 0.9, 3] } }, build: (g, { a }) => g.reduceSum(g.mul(g.add(g.add(g.sigmoid(a!), g.tanh(a!)), g.add(g.relu(a!), g.abs(a!))), g.constant(w([6]).values, [6])), []) }],
  ['sin, cos', { params: { a: { shape: [5] } }, build: (g, { a }) => g.reduceSum(g.mul(g.sin(a!), g.cos(g.mul(a!, 2))), []) }],
  ['softplus, logSigmoid', { params: { a: { shape: [6], values: [-30, -2, -0.3, 0.4, 2, 30] } }, build: (g, { a }) => g.reduceSum(g.mul(g.add(g.softplus(a!), g.logSigmoid(a!)), g.constant(w([6]).values, [6])), []) }],
  ['maximum, minimum broadcast', { params: { a: { shape: [2, 3] }, b: { shape: [3] } }, build: (g, { a, b }) => g.reduceSum(g.mul(g.add(g.maximum(a!, b!), g.mul(g.minimum(a!, b!), 3)), g.constant(w([2, 3]).values, [2, 3])), []) }],
  ['matmul 2d', { params: { a: { shape: [3, 4] }, b: { shape: [4, 2] } }, build: (g, { a, b }) => g.reduceSum(g.pow(g.matmul(a!, b!), 2), []) }],
  ['matmul batched x 2d (linear layer)', { params: { a: { shape: [2, 3, 4] }, b: { shape: [4, 5] } }, build: (g, { a, b }) => g.reduceSum(g.pow(g.matmul(a!, b!), 2), []) }],
  ['matmul batch broadcast', { params: { a: { shape: [2, 1, 3, 4] }, b: { shape: [3, 4, 2] } }, build: (g, { a, b }) => g.reduceSum(g.pow(g.matmul(a!, b!), 2), []) }],
  ['matmul 1-d operands', { params: { a: { shape: [4] }, b: { shape: [2, 4, 3] }, c: { shape: [3] } }, build: (g, { a, b, c }) => g.reduceSum(g.pow(g.matmul(g.matmul(a!, b!), c!), 2), []) }],
  ['gemm trans combos + c', { params: { a: { shape: [4, 3] }, b: { shape: [2, 4] }, c: { shape: [2] } }, build: (g, { a, b, c }) => {
    const y1 = g.gemm(a!, b!, { transA: true, transB: true, alpha: 0.5, beta: 2, c: c! }); // [3, 2]
    const y2 = g.gemm(y1, b!, {}); // [3, 4]
    const y3 = g.gemm(y2, a!, { transA: false, transB: false }); // [3, 3]
    const y4 = g.gemm(a!, y3, { transA: false, transB: true, alpha: 1.5 }); // [4, 3]
    return g.reduceSum(g.pow(y4, 2), []);
  } }],
  ['reduceSum/Mean keepdims and not', { params: { a: { shape: [2, 3, 4] } }, build: (g, { a }) => g.reduceSum(g.mul(g.add(g.reduceSum(g.pow(a!, 2), [1], true), g.reduceMean(g.pow(a!, 3), [-1, 1], true)), g.constant(w([2, 1, 1]).values, [2, 1, 1])), []) }],
  ['reduceMean all, reduceMax', { params: { a: { shape: [3, 4] } }, build: (g, { a }) => g.add(g.reduceMean(g.exp(a!), []), g.reduceSum(g.mul(g.reduceMax(a!, [1]), g.constant([1, -2, 3], [3])), [])) }],
  ['cumsum (plain, exclusive reverse)', { params: { a: { shape: [2, 4] } }, build: (g, { a }) => g.reduceSum(g.mul(g.add(g.cumsum(a!, 1), g.cumsum(a!, 0, { exclusive: true, reverse: true })), g.constant(w([2, 4]).values, [2, 4])), []) }],
  ['softmax, logSoftmax', { params: { a: { shape: [2, 5] } }, build: (g, { a }) => g.reduceSum(g.mul(g.add(g.softmax(a!, 1), g.logSoftmax(a!, 0)), g.constant(w([2, 5]).values, [2, 5])), []) }],
  ['gather rows (embedding, repeated ids)', {
    params: { e: { shape: [5, 3] } }, data: { ids: { shape: [2, 3], dtype: 'int64', values: [1n, 4n, 1n, 0n, 2n, 1n] } },
    build: (g, { e }, { ids }) => g.reduceSum(g.pow(g.gather(e!, ids!, 0), 2), []),
  }],
  ['gather axis 1 with matrix indices', {
    params: { e: { shape: [2, 4, 3] } }, data: { ids: { shape: [2, 2], dtype: 'int32', values: [3, 0, 3, 2] } },
    build: (g, { e }, { ids }) => g.reduceSum(g.pow(g.gather(e!, ids!, 1), 3), []),
  }],
  ['gather one-hot gradient', {
    gatherGradient: 'onehot', params: { e: { shape: [2, 4, 3] } },
    data: { ids: { shape: [3], dtype: 'int64', values: [3n, 0n, 3n] }, ids2: { shape: [2, 2], dtype: 'int64', values: [2n, 2n, 0n, 1n] } },
    build: (g, { e }, { ids, ids2 }) => g.add(g.reduceSum(g.pow(g.gather(e!, ids!, 1), 3), []), g.reduceSum(g.pow(g.gather(e!, ids2!, 2), 2), [])),
  }],
  ['selectedLogProbs (token log-probs, repeated targets)', {
    params: { a: { shape: [2, 3, 4] } }, data: { ids: { shape: [2, 3], dtype: 'int64', values: [1n, 3n, 1n, 0n, 0n, 2n] } },
    build: (g, { a }, { ids }) => g.reduceSum(g.mul(g.selectedLogProbs(g.mul(a!, 3), ids!), g.constant(w([2, 3]).values, [2, 3])), []),
  }],
  ['gatherElements (token log-probs)', {
    params: { a: { shape: [2, 3, 5] } }, data: { ids: { shape: [2, 3, 1], dtype: 'int64', values: [4n, 0n, 4n, 1n, 2n, 3n] } },
    build: (g, { a }, { ids }) => g.reduceSum(g.gatherElements(g.logSoftmax(a!, -1), ids!, 2), []),
  }],
  ['where with broadcast mask', {
    params: { a: { shape: [3, 4] }, b: { shape: [4] } }, data: { m: { shape: [3, 1], dtype: 'bool', values: [1, 0, 1] } },
    build: (g, { a, b }, { m }) => g.reduceSum(g.pow(g.where(m!, a!, b!), 2), []),
  }],
  ['causal mask where + softmax', {
    params: { s: { shape: [2, 4, 4] } },
    build: (g, { s }) => {
      const mask = g.cast(g.trilu(g.constant(new Array(16).fill(1), [4, 4]), { upper: false }), 'bool');
      return g.reduceSum(g.mul(g.softmax(g.where(mask, s!, -1e9), -1), g.constant(w([2, 4, 4]).values, [2, 4, 4])), []);
    },
  }],
  ['trilu', { params: { a: { shape: [3, 4] } }, build: (g, { a }) => g.reduceSum(g.pow(g.add(g.trilu(a!, { k: 1 }), g.trilu(a!, { upper: false, k: -1 })), 2), []) }],
  ['reshape (0, -1), transpose', { params: { a: { shape: [2, 3, 4] } }, build: (g, { a }) => g.reduceSum(g.mul(g.transpose(g.reshape(a!, [0, -1, 2]), [2, 0, 1]), g.constant(w([2, 2, 6]).values, [2, 2, 6])), []) }],
  ['slice unit steps with negatives', { params: { a: { shape: [4, 5] } }, build: (g, { a }) => g.reduceSum(g.pow(g.slice(a!, [1, -4], [Number.MAX_SAFE_INTEGER, -1], [0, 1]), 2), []) }],
  ['slice strided and reversed', { params: { a: { shape: [4, 5] } }, build: (g, { a }) => g.reduceSum(g.mul(g.slice(a!, [3, 0], [-5, 5], [0, 1], [-2, 2]), g.constant(w([2, 3]).values, [2, 3])), []) }],
  ['concat and split (one branch unused)', { params: { a: { shape: [2, 3] }, b: { shape: [2, 2] } }, build: (g, { a, b }) => {
    const [x, , z] = g.split(g.concat([a!, b!], 1), [2, 1, 2], 1);
    return g.reduceSum(g.mul(g.pow(x!, 2), g.exp(z!)), []);
  } }],
  ['unsqueeze, squeeze, expand', { params: { a: { shape: [3, 1] } }, build: (g, { a }) => g.reduceSum(g.mul(g.expand(g.unsqueeze(g.squeeze(a!, [1]), [0, 2]), [2, 3, 4]), g.constant(w([2, 3, 4]).values, [2, 3, 4])), []) }],
  // float32 rounding inside: a wide step on a quadratic keeps the central difference exact.
  ['cast float64 -> float32 -> float64, stopGradient', { eps: 1e-2, tol: 1e-4, params: { a: { shape: [3] } }, build: (g, { a }) => g.reduceSum(g.add(g.pow(g.cast(g.mul(g.cast(a!, 'float32'), 1), 'float64'), 2), g.mul(g.stopGradient(a!), 0)), []) }],
  ['tensor used many times (fan-out sums)', { params: { a: { shape: [3] } }, build: (g, { a }) => { const b = g.exp(a!); return g.reduceSum(g.mul(g.mul(b, b), g.add(b, a!)), []); } }],
];

describe('gradient rules vs central differences (float64, every element)', () => {
  for (const [name, opts] of cases) {
    it(name, async () => {
      const report = await checkGradients(opts);
      for (const [p, r] of Object.entries(report.perParam)) expect(r.relError, `${name}: ${p} (${r.elements} elements)`).toBeLessThan(opts.tol ?? TOL);
      expect(Number.isFinite(report.loss)).toBe(true);
    });
  }
});

describe('checkGradients itself', () => {
  it('flags a wrong gradient rule (exp with an identity gradient)', async () => {
    const report = await checkGradients({
      params: { a: { shape: [3] } },
      build: (g, { a }) => g.reduceSum(g.emit('Exp', [a!], a!.shape, a!.dtype, { grad: (_g, _op, [dy]) => [dy] }), []),
    });
    expect(report.maxError).toBeGreaterThan(0.1);
  });
  it('samples evenly spaced elements when asked', async () => {
    const report = await checkGradients({ params: { a: { shape: [10, 10] } }, sample: 7, build: (g, { a }) => g.reduceSum(g.pow(a!, 3), []) });
    expect(report.perParam.a!.elements).toBe(7);
    expect(report.maxError).toBeLessThan(TOL);
  });
});
