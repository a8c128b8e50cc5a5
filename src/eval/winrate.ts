// Win-rate statistics over per-prompt preferences (1 the model's generation wins, 0 it loses, 0.5 a tie, or any
// probability in between from a pairwise judge): the raw win rate with a Wilson interval, and the length-controlled
// win rate of AlpacaEval 2 (Dubois et al. 2024, "Length-Controlled AlpacaEval", arXiv:2404.04475) with a seeded
// bootstrap interval. Pure functions, float64, no I/O; judging and files are in winrate-run.ts.
//
// Shape legend: n prompts; every array below is (n), in prompt order.
import { UserError } from "../errors.js";
import { mulberry32 } from "../engine/random.js";
import { logSigmoid, sigmoid } from "../losses/logistic.js";
import type { WinRate } from "./types.js";

/** Preference of the model over the baseline from pointwise scores: 1 higher, 0 lower, 0.5 equal. */
export function preferencesFromScores(model: readonly number[], baseline: readonly number[]): number[] {
  if (model.length !== baseline.length) throw new Error(`preferencesFromScores: ${model.length} model scores vs ${baseline.length} baseline scores`);
  return model.map((m, i) => (m > baseline[i]! ? 1 : m < baseline[i]! ? 0 : 0.5));
}

/**
 * Wilson score interval (Wilson 1927) of a proportion p observed over n trials, at z (1.96: 95%). It stays inside
 * [0, 1] and is not degenerate at p = 0 or 1 with few prompts, unlike the normal interval or a bootstrap. With
 * ties counted as half a win the per-prompt variance is below the binomial's, so the interval is conservative.
 */
export function wilsonInterval(p: number, n: number, z = 1.96): [number, number] {
  if (n <= 0) return [0, 1];
  const z2 = z * z, den = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / den;
  const half = (z / den) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The fitted length GLM: P(model wins) = sigmoid(bias + length * tanh((len_m - len_b) / scale)). */
export interface LengthGlm {
  bias: number;
  /** 0 when the length term was left out (fewer than 2 prompts, or every length difference equal). */
  length: number;
  /** Sample standard deviation (ddof 1, as pandas) of len_m - len_b; NaN when the term was left out. */
  scale: number;
}

/**
 * Inverse L2 strength, in scikit-learn's convention (minimise C * sum(weighted log loss) + ||theta||^2 / 2, i.e.
 * sum(log loss) + ||theta||^2 / (2C)). AlpacaEval fits an L1 penalty with C chosen by 5-fold cross-validation
 * (and C = 100 when it does not cross-validate); we keep their C = 100 but use L2, which keeps the objective
 * smooth and strictly convex for Newton's method and keeps perfectly separable data finite.
 */
export const LC_INVERSE_L2 = 100;

/**
 * Fits the AlpacaEval 2 length GLM by Newton's method (IRLS) with backtracking. Soft labels are handled as
 * AlpacaEval does: each prompt appears once with label 1 and weight p and once with label 0 and weight 1 - p, so
 * a tie contributes half to each outcome; the weighted log loss is then
 *   J(theta) = sum_i -[p_i log sigmoid(z_i) + (1 - p_i) log sigmoid(-z_i)] + ||theta||^2 / (2C),  z_i = theta . x_i
 *   dJ     = sum_i (sigmoid(z_i) - p_i) x_i + theta / C
 *   d2J    = sum_i sigmoid(z_i) sigmoid(-z_i) x_i x_i^T + I / C
 * with x_i = [1, tanh((len_m - len_b) / std(len_m - len_b))]: the model-vs-baseline term and the length term.
 * AlpacaEval's third term, the instruction difficulty, is estimated from many models' outputs on the same
 * instructions; with one model against one baseline it is not identifiable, so it is left out (as is their
 * regularisation towards gamed baselines).
 */
export function fitLengthGlm(prefs: readonly number[], lenModel: readonly number[], lenBaseline: readonly number[], C = LC_INVERSE_L2): LengthGlm {
  const n = prefs.length;
  const d = prefs.map((_, i) => lenModel[i]! - lenBaseline[i]!);
  const mean = d.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const scale = n > 1 ? Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : NaN;
  // With every difference equal, the length term is a multiple of the bias column: which of the two explains the
  // preference cannot be told apart, so the GLM is fitted without it.
  const useLength = Number.isFinite(scale) && scale > 0;
  const t = d.map((x) => (useLength ? Math.tanh(x / scale) : 0));
  const lambda = 1 / C;
  const objective = (b: number, w: number) => {
    let J = (lambda / 2) * (b * b + w * w);
    for (let i = 0; i < n; i++) {
      const z = b + w * t[i]!;
      J -= prefs[i]! * logSigmoid(z) + (1 - prefs[i]!) * logSigmoid(-z);
    }
    return J;
  };
  let b = 0, w = 0, J = objective(b, w);
  for (let iter = 0; iter < 100; iter++) {
    let g0 = lambda * b, g1 = lambda * w, h00 = lambda, h01 = 0, h11 = lambda;
    for (let i = 0; i < n; i++) {
      const z = b + w * t[i]!, s = sigmoid(z), r = s - prefs[i]!, v = s * sigmoid(-z);
      g0 += r;
      g1 += r * t[i]!;
      h00 += v;
      h01 += v * t[i]!;
      h11 += v * t[i]! * t[i]!;
    }
    // Newton step: solve the 2x2 system (1x1 when the length term is out)
    let s0: number, s1: number;
    if (useLength) {
      const det = h00 * h11 - h01 * h01;
      s0 = (h11 * g0 - h01 * g1) / det;
      s1 = (h00 * g1 - h01 * g0) / det;
    } else {
      s0 = g0 / h00;
      s1 = 0;
    }
    let step = 1, Jn = objective(b - s0, w - s1);
    while (Jn > J && step > 1e-10) {
      step /= 2;
      Jn = objective(b - step * s0, w - step * s1);
    }
    b -= step * s0;
    w -= step * s1;
    const moved = step * Math.max(Math.abs(s0), Math.abs(s1));
    J = Jn;
    if (moved < 1e-12) break;
  }
  return { bias: b, length: w, scale: useLength ? scale : NaN };
}

/** The LC win rate of a fitted GLM: the mean over prompts of sigmoid(prediction with the length term at 0). */
function lcOf(glm: LengthGlm): number {
  // Without instruction difficulty every prompt's prediction is the same, so the mean is sigmoid(bias).
  return sigmoid(glm.bias);
}

/** Linear-interpolated quantile q of sorted values (numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q, lo = Math.floor(h), hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface LengthControlled {
  lc_win_rate: number;
  /** 95% percentile-bootstrap interval over prompts (the whole fit, length scale included, redone per resample). */
  ci_low: number;
  ci_high: number;
  glm: LengthGlm;
}

export interface LcOptions {
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Seed of the bootstrap's draws (default 0). */
  seed?: number;
  C?: number;
}

/** The length-controlled win rate (AlpacaEval 2) with a seeded bootstrap interval over prompts. */
export function lengthControlledWinRate(prefs: readonly number[], lenModel: readonly number[], lenBaseline: readonly number[], opts: LcOptions = {}): LengthControlled {
  checkInputs(prefs, lenModel, lenBaseline);
  const C = opts.C ?? LC_INVERSE_L2;
  const glm = fitLengthGlm(prefs, lenModel, lenBaseline, C);
  const n = prefs.length, B = opts.resamples ?? 1000, u = mulberry32(opts.seed ?? 0);
  const lcs: number[] = [];
  const p = new Array<number>(n), lm = new Array<number>(n), lb = new Array<number>(n);
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(u() * n);
      p[i] = prefs[j]!;
      lm[i] = lenModel[j]!;
      lb[i] = lenBaseline[j]!;
    }
    lcs.push(lcOf(fitLengthGlm(p, lm, lb, C)));
  }
  lcs.sort((a, b) => a - b);
  const lc = lcOf(glm);
  return { lc_win_rate: lc, ci_low: B > 0 ? quantile(lcs, 0.025) : lc, ci_high: B > 0 ? quantile(lcs, 0.975) : lc, glm };
}

function checkInputs(prefs: readonly number[], lenModel: readonly number[], lenBaseline: readonly number[]): void {
  if (prefs.length === 0) throw new UserError("no prompts to compare: a win rate needs at least one prompt");
  if (lenModel.length !== prefs.length || lenBaseline.length !== prefs.length)
    throw new Error(`win rate: ${prefs.length} preferences, ${lenModel.length} model lengths, ${lenBaseline.length} baseline lengths`);
  const bad = prefs.findIndex((x) => !(x >= 0 && x <= 1));
  if (bad >= 0) throw new Error(`win rate: preference ${bad} is ${prefs[bad]}, not in [0, 1]`);
}

/** What a WinRate entry records besides the preferences and lengths. */
export interface WinRateMeta {
  judge: string;
  baseline: string;
  /** Mean pointwise judge score of the model's and the baseline's generations (absent for pairwise judges). */
  meanReward?: number;
  meanRewardBaseline?: number;
  /** Pairwise (LLM) judge answers that could not be parsed (each counted as a tie). */
  unparsed?: number;
  /** Bootstrap of the LC interval (LcOptions). */
  resamples?: number;
  seed?: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The WinRate entry of winrates.json from per-prompt preferences (P(model beats baseline)) and generation lengths
 * in tokens: raw win rate with a Wilson 95% interval, LC win rate with a bootstrap 95% interval.
 */
export function winRate(prefs: readonly number[], lenModel: readonly number[], lenBaseline: readonly number[], meta: WinRateMeta): WinRate {
  checkInputs(prefs, lenModel, lenBaseline);
  const n = prefs.length, wr = mean(prefs);
  const [lo, hi] = wilsonInterval(wr, n);
  const lc = lengthControlledWinRate(prefs, lenModel, lenBaseline, {
    ...(meta.resamples !== undefined ? { resamples: meta.resamples } : {}), ...(meta.seed !== undefined ? { seed: meta.seed } : {}),
  });
  return {
    judge: meta.judge, baseline: meta.baseline, n, win_rate: wr, ci_low: lo, ci_high: hi,
    lc_win_rate: lc.lc_win_rate, lc_ci_low: lc.ci_low, lc_ci_high: lc.ci_high,
    ...(meta.meanReward !== undefined ? { mean_reward: meta.meanReward } : {}),
    ...(meta.meanRewardBaseline !== undefined ? { mean_reward_baseline: meta.meanRewardBaseline } : {}),
    mean_length: mean(lenModel), mean_length_baseline: mean(lenBaseline),
    wins: prefs.filter((p) => p > 0.5).length, ties: prefs.filter((p) => p === 0.5).length, losses: prefs.filter((p) => p < 0.5).length,
    ...(meta.unparsed !== undefined ? { unparsed: meta.unparsed } : {}),
  };
}

/** The difference of two methods' pooled win rates over the same prompts, with a bootstrap interval. */
export interface WinRateDifference {
  /** win rate of A minus win rate of B, each pooled over its seeds. */
  delta: number;
  ci_low: number;
  ci_high: number;
  prompts: number;
}

/**
 * A - B for two methods judged on the same n prompts against the same baseline, each run with several seeds:
 * prefsA[s][i] is seed s's preference on prompt i. The interval resamples prompts (the same resample for both
 * methods, so the pairing by prompt is kept; seeds stay as they are), percentile method, seeded.
 */
export function winRateDifference(prefsA: readonly (readonly number[])[], prefsB: readonly (readonly number[])[], opts: { samples?: number; seed?: number } = {}): WinRateDifference {
  const n = prefsA[0]?.length ?? 0;
  if (n === 0 || prefsB.length === 0 || [...prefsA, ...prefsB].some((p) => p.length !== n))
    throw new Error("winRateDifference: every seed of both methods needs a preference for each of the same prompts");
  // per prompt: mean over seeds of A minus mean over seeds of B
  const d = Array.from({ length: n }, (_, i) =>
    prefsA.reduce((a, p) => a + p[i]!, 0) / prefsA.length - prefsB.reduce((a, p) => a + p[i]!, 0) / prefsB.length);
  const delta = d.reduce((a, b) => a + b, 0) / n;
  const samples = opts.samples ?? 2000, u = mulberry32(opts.seed ?? 1);
  const boots = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += d[Math.floor(u() * n)]!;
    boots[s] = t / n;
  }
  boots.sort();
  return { delta, ci_low: boots[Math.floor(0.025 * (samples - 1))]!, ci_high: boots[Math.ceil(0.975 * (samples - 1))]!, prompts: n };
}
