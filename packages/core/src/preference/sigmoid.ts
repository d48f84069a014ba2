/** Numerically stable logistic functions in float64 (no overflow of exp for large |x|). */

/** sigma(x) = 1 / (1 + e^-x), evaluated so exp never sees a large positive argument. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log sigma(x) = -softplus(-x) = min(x, 0) - log1p(e^-|x|); exact to round-off for any finite x. */
export function logSigmoid(x: number): number {
  return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
}
