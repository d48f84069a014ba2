// MatMul (batched, broadcast, numpy.matmul semantics) and Gemm, with their gradients.
import type { GraphBuilder } from '../builder.ts';
import { broadcastShapes, fmtShape } from '../shape.ts';
import type { Dim, Tensor } from '../types.ts';
import { unbroadcast } from './elementwise.ts';

function checkFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new Error(`${op}: ${t.name} has dtype ${t.dtype}; it needs float32 or float64`);
  if (ts.some((t) => t.dtype !== ts[0]!.dtype)) throw new Error(`${op}: operand dtypes differ (${ts.map((t) => `${t.name}: ${t.dtype}`).join(', ')})`);
}

function sameDim(a: Dim, b: Dim): boolean {
  return a === b || typeof a !== 'number' || typeof b !== 'number';
}

/** Swaps the last two axes. */
function transposeLast2(g: GraphBuilder, t: Tensor): Tensor {
  const r = t.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return g.transpose(t, perm);
}

export function matmul(g: GraphBuilder, a: Tensor, b: Tensor): Tensor {
  checkFloat('matmul', a, b);
  if (a.shape.length === 0 || b.shape.length === 0) throw new Error(`matmul: operands must have rank >= 1 (got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}); use mul for scalars`);
  const A = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const B = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const K = A[A.length - 1]!;
  if (!sameDim(K, B[B.length - 2]!))
    throw new Error(`matmul: inner dims differ: ${a.name} ${fmtShape(a.shape)} @ ${b.name} ${fmtShape(b.shape)} (${K} vs ${B[B.length - 2]})`);
  const batch = broadcastShapes(A.slice(0, -2), B.slice(0, -2), 'matmul');
  const out: Dim[] = [...batch];
  if (a.shape.length > 1) out.push(A[A.length - 2]!);
  if (b.shape.length > 1) out.push(B[B.length - 1]!);
  const full = [...batch, A[A.length - 2]!, B[B.length - 1]!];
  return g.emit('MatMul', [a, b], out, a.dtype, {
    grad: (gg, { inputs: [x, y] }, [dyIn], needs) => {
      // Work on the rank >= 2 views of both operands (numpy.matmul promotes 1-D operands).
      const x2 = x!.shape.length === 1 ? gg.reshape(x!, [...A]) : x!;
      const y2 = y!.shape.length === 1 ? gg.reshape(y!, [...B]) : y!;
      const dy = dyIn!.shape.length === full.length ? dyIn! : gg.reshape(dyIn!, full);
      let dx: Tensor | undefined;
      let dw: Tensor | undefined;
      if (needs[0]) dx = unbroadcast(gg, gg.matmul(dy, transposeLast2(gg, y2)), A);
      if (needs[1]) {
        if (B.length === 2 && A.length > 2) {
          // x [..., M, K] @ w [K, N]: dW = x^T dy over all rows, one Gemm instead of a batched product + sum.
          const k = A[A.length - 1]!;
          const n = B[1]!;
          dw = gg.gemm(gg.reshape(x2, [-1, k]), gg.reshape(dy, [-1, n]), { transA: true });
        } else dw = unbroadcast(gg, gg.matmul(transposeLast2(gg, x2), dy), B);
      }
      return [dx && gg.reshape(dx, [...x!.shape]), dw && gg.reshape(dw, [...y!.shape])];
    },
  });
}

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  c?: Tensor;
}

export function gemm(g: GraphBuilder, a: Tensor, b: Tensor, { transA = false, transB = false, alpha = 1, beta = 1, c }: GemmOptions = {}): Tensor {
  checkFloat('gemm', a, b, ...(c ? [c] : []));
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error(`gemm: operands must be 2-D (got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}); use matmul for batched products`);
  const [m, ka] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (!sameDim(ka, kb)) throw new Error(`gemm: inner dims differ (${ka} vs ${kb}) for ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} @ ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''}`);
  if (c) broadcastShapes(c.shape, [m, n], 'gemm (c)');
  const attrs = {
    transA: { type: 'int', value: transA ? 1 : 0 },
    transB: { type: 'int', value: transB ? 1 : 0 },
    alpha: { type: 'float', value: alpha },
    beta: { type: 'float', value: beta },
  } as const;
  return g.emit('Gemm', c ? [a, b, c] : [a, b], [m, n], a.dtype, {
    attrs,
    grad: (gg, { inputs }, [dy], needs) => {
      const [x, y, z] = inputs;
      // Y = alpha op(A) op(B) + beta C; each case below is dY/d(op) transposed back when trans is set.
      let dA: Tensor | undefined;
      let dB: Tensor | undefined;
      if (needs[0]) dA = transA ? gg.gemm(y!, dy!, { transA: transB, transB: true, alpha }) : gg.gemm(dy!, y!, { transB: !transB, alpha });
      if (needs[1]) dB = transB ? gg.gemm(dy!, x!, { transA: true, transB: transA, alpha }) : gg.gemm(x!, dy!, { transA: !transA, alpha });
      const dC = z && needs[2] ? unbroadcast(gg, beta === 1 ? dy! : gg.mul(dy!, beta), z.shape) : undefined;
      return [dA, dB, dC];
    },
  });
}
