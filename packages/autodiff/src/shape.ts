// Static shape arithmetic. The builder tracks every shape itself (ENGINE-NOTES: never rely on ORT's
// shape inference); symbolic dims are strings, derived ones read like 'a+b' or '?' (unknown).
import type { Dim } from './types.ts';

export function fmtShape(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}

export function isStaticShape(shape: readonly Dim[]): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function numel(shape: readonly Dim[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

export function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy/ONNX multidirectional broadcasting of two shapes. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[], op: string): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else if (typeof da === 'number' && typeof db === 'number')
      throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (dim ${i}: ${da} vs ${db}); dims must be equal or 1`);
    else if (typeof da === 'number') out.push(da);
    else if (typeof db === 'number') out.push(db);
    else out.push(da); // two different symbols: assume equal (checked by ORT at run time)
  }
  return out;
}

export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw new Error(`${op}: axis ${axis} is out of range for rank ${rank}; valid axes are ${-rank}..${rank - 1}`);
  return a;
}

export function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return `${a}+${b}`;
}

/** Splits a shape into its numeric product and the multiset of its symbolic factors. */
function factors(shape: readonly Dim[]): { n: number; syms: string[] } {
  let n = 1;
  const syms: string[] = [];
  for (const d of shape) {
    if (typeof d === 'number') n *= d;
    else syms.push(d);
  }
  return { n, syms };
}

/** Output shape of ONNX Reshape: 0 copies the input dim, -1 is inferred (allowzero = 0). */
export function reshapeShape(input: readonly Dim[], target: readonly Dim[], op = 'reshape'): Dim[] {
  const out: Dim[] = target.map((d, i) => {
    if (d !== 0) return d;
    if (i >= input.length) throw new Error(`${op}: 0 at position ${i} copies an input dim, but the input ${fmtShape(input)} has rank ${input.length}`);
    return input[i]!;
  });
  const inferred = out.indexOf(-1);
  if (out.lastIndexOf(-1) !== inferred) throw new Error(`${op}: at most one -1 is allowed in ${fmtShape(target)}`);
  const known = out.filter((_, i) => i !== inferred);
  const fi = factors(input);
  const fo = factors(known);
  if (inferred >= 0) {
    const rest = [...fi.syms];
    let ok = true;
    for (const s of fo.syms) {
      const k = rest.indexOf(s);
      if (k < 0) ok = false;
      else rest.splice(k, 1);
    }
    if (!ok) out[inferred] = '?';
    else {
      if (fi.n % fo.n !== 0)
        throw new Error(`${op}: cannot reshape ${fmtShape(input)} to ${fmtShape(target)}: ${fi.n} is not divisible by ${fo.n}`);
      const q = fi.n / fo.n;
      out[inferred] = rest.length === 0 ? q : q === 1 && rest.length === 1 ? rest[0]! : [q === 1 ? '' : String(q), ...rest].filter(Boolean).join('*');
    }
  } else if (fi.syms.length === 0 && fo.syms.length === 0 && fi.n !== fo.n) {
    throw new Error(`${op}: cannot reshape ${fmtShape(input)} (${fi.n} elements) to ${fmtShape(target)} (${fo.n} elements)`);
  }
  return out;
}
