/**
 * The Nash mix of a symmetric preference game over a few pure strategies (the demo's styles): the
 * von Neumann winner SPPO converges to (SPPO-REFERENCE 1.1), for a preference matrix given as
 * P[i][j] = P(strategy i beats strategy j), with P[i][j] + P[j][i] = 1.
 *
 * The game with payoff A = P - 1/2 is skew-symmetric, so its value is 0 and a mix x is an
 * equilibrium iff no pure strategy beats it: (A x)_k <= 0 for every k. Found by support
 * enumeration (exact for the handful of strategies here): for each support S, the mix that
 * equalises S (A_SS x_S = 0, sum x_S = 1, solved as a least-squares system), kept if it is a
 * distribution that no strategy beats. Among equilibria, the first of the smallest support is
 * returned, so a Condorcet winner (a strategy that beats every other) comes out pure.
 */

/** How far (A x)_k may exceed 0 and x_i fall below 0 and still count as an equilibrium. */
const TOLERANCE = 1e-9;

function checkMatrix(P: readonly (readonly number[])[]): number {
  const n = P.length;
  if (n === 0) throw new RangeError('nashMix: the preference matrix is empty; give at least one strategy');
  P.forEach((row, i) => {
    if (row.length !== n) throw new RangeError(`nashMix: row ${i} has ${row.length} entries, the matrix must be ${n} x ${n}`);
    row.forEach((p, j) => {
      if (!(p >= 0 && p <= 1)) throw new RangeError(`nashMix: P[${i}][${j}] = ${p}, a probability must be in [0, 1]`);
      const q = P[j]?.[i] as number;
      if (Math.abs(p + q - 1) > 1e-6) throw new RangeError(`nashMix: P[${i}][${j}] + P[${j}][${i}] = ${p + q}, a preference matrix needs P[i][j] + P[j][i] = 1`);
    });
  });
  return n;
}

/** Solves M x = b by Gaussian elimination with partial pivoting on the normal equations' matrix; undefined if singular. */
function solve(M: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const a = M.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]?.[c] as number) > Math.abs(a[pivot]?.[c] as number)) pivot = r;
    if (Math.abs(a[pivot]?.[c] as number) < 1e-12) return undefined;
    [a[c], a[pivot]] = [a[pivot] as number[], a[c] as number[]];
    const rowC = a[c] as number[];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const row = a[r] as number[];
      const f = (row[c] as number) / (rowC[c] as number);
      for (let k = c; k <= n; k++) row[k] = (row[k] as number) - f * (rowC[k] as number);
    }
  }
  return a.map((row, i) => (row[n] as number) / (row[i] as number));
}

/** The mix on `support` that makes every strategy of it tie with the mix, if one exists. */
function equalisingMix(A: readonly (readonly number[])[], support: readonly number[]): number[] | undefined {
  // Rows: (A_SS x = 0) and (1^T x = 1); least squares through the normal equations (|S| unknowns).
  const rows = [...support.map((i) => support.map((j) => A[i]?.[j] as number)), support.map(() => 1)];
  const rhs = [...support.map(() => 0), 1];
  const m = support.length;
  const normal = Array.from({ length: m }, (_, p) => Array.from({ length: m }, (_, q) => rows.reduce((s, r) => s + (r[p] as number) * (r[q] as number), 0)));
  const target = Array.from({ length: m }, (_, p) => rows.reduce((s, r, k) => s + (r[p] as number) * (rhs[k] as number), 0));
  const x = solve(normal, target);
  if (x === undefined) return undefined;
  // The least-squares answer must solve the system exactly to equalise the support.
  const residual = rows.reduce((s, r, k) => s + Math.abs(r.reduce((t, v, p) => t + v * (x[p] as number), 0) - (rhs[k] as number)), 0);
  return residual < 1e-7 ? x : undefined;
}

function subsets(n: number, size: number): number[][] {
  const out: number[][] = [];
  const walk = (start: number, chosen: number[]): void => {
    if (chosen.length === size) {
      out.push(chosen.slice());
      return;
    }
    for (let i = start; i < n; i++) walk(i + 1, [...chosen, i]);
  };
  walk(0, []);
  return out;
}

/** The Nash mix of the symmetric preference game P (a distribution over its strategies). */
export function nashMix(P: readonly (readonly number[])[]): number[] {
  const n = checkMatrix(P);
  const A = P.map((row) => row.map((p) => p - 0.5));
  for (let size = 1; size <= n; size++) {
    for (const support of subsets(n, size)) {
      const xs = equalisingMix(A, support);
      if (xs === undefined || xs.some((v) => v < -TOLERANCE)) continue;
      const x = new Array<number>(n).fill(0);
      support.forEach((i, k) => (x[i] = Math.max(0, xs[k] as number)));
      const total = x.reduce((s, v) => s + v, 0);
      const mix = x.map((v) => v / total);
      const beaten = A.some((row) => row.reduce((s, a, j) => s + a * (mix[j] as number), 0) > TOLERANCE);
      if (!beaten) return mix;
    }
  }
  // Unreachable: every finite symmetric zero-sum game has an equilibrium (von Neumann's minimax
  // theorem), and some equilibrium is an equalising mix on its support.
  throw new Error('nashMix: no equilibrium found; this is a bug');
}

/** Total variation distance between two distributions over the same outcomes. */
export function totalVariation(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new RangeError(`totalVariation: ${p.length} vs ${q.length} outcomes; the distributions must share their outcomes`);
  return p.reduce((s, v, i) => s + Math.abs(v - (q[i] as number)), 0) / 2;
}
