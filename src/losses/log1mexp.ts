// log(1 - e^x) for x <= 0 in float64 without cancellation (ORPO's log-odds). Nothing else.

const LN_HALF = -Math.LN2;

/**
 * log1mexp(x) = log(1 - e^x), x <= 0 (Maechler 2012, "Accurately computing log(1 - exp(-|a|))"):
 *   x < -ln 2:  log1p(-e^x)       (e^x < 1/2: 1 - e^x has no cancellation, log1p keeps e^x's digits)
 *   otherwise:  log(-expm1(x))    (x near 0: expm1 keeps the digits that 1 - e^x would lose)
 * log1mexp(0) = -inf; x > 0 gives NaN (no probability exceeds 1).
 * Its derivative, -e^x / (1 - e^x) = -1 / expm1(-x), is used in closed form by orpo.ts.
 */
export function log1mexp(x: number): number {
  return x < LN_HALF ? Math.log1p(-Math.exp(x)) : Math.log(-Math.expm1(x));
}
