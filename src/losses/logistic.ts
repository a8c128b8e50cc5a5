// The logistic function and the (label-smoothed) logistic loss in float64 without overflow or cancellation, for
// any finite argument. Shared by dpo.ts and simpo.ts; not a general math library.

/** log sigmoid(x) = -log(1 + e^-x) = min(x, 0) - log1p(e^-|x|): e^-|x| <= 1, so nothing overflows. */
export function logSigmoid(x: number): number {
  return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
}

/** sigmoid(x) = 1 / (1 + e^-x), written with e^-|x| so that neither tail overflows. */
export function sigmoid(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/**
 * The conservative logistic loss of a margin z with label-smoothing eps (Mitchell 2023, "A note on DPO with
 * noisy preferences"; TRL's `label_smoothing`): the label is flipped with probability eps.
 *
 *   l(z)     = -(1 - eps) log sigmoid(z) - eps log sigmoid(-z)
 *   dl/dz    = -(1 - eps) sigmoid(-z) + eps sigmoid(z)        // d log sigmoid(z) = sigmoid(-z) dz
 *
 * dl/dz is kept as that sum (not sigmoid(z) - (1 - eps)) so it stays accurate in both tails.
 */
export function smoothedLogistic(z: number, eps: number): { loss: number; dz: number } {
  const loss = eps === 0 ? -logSigmoid(z) : -(1 - eps) * logSigmoid(z) - eps * logSigmoid(-z);
  const dz = eps === 0 ? -sigmoid(-z) : -(1 - eps) * sigmoid(-z) + eps * sigmoid(z);
  return { loss, dz };
}
