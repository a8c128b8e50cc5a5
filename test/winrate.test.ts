// Win-rate statistics: preferences from scores, the Wilson interval, and AlpacaEval 2's length-controlled win rate
// in closed-form cases (no length effect, preferences made by length alone, mirrored data, separable data).
import assert from "node:assert/strict";
import { test } from "node:test";
import { mulberry32 } from "../src/engine/random.js";
import { sigmoid } from "../src/losses/logistic.js";
import { UserError } from "../src/errors.js";
import { LC_INVERSE_L2, fitLengthGlm, lengthControlledWinRate, preferencesFromScores, wilsonInterval, winRate, winRateDifference } from "../src/eval/winrate.js";

const close = (a: number, b: number, tol: number, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

test("preferencesFromScores: 1 higher, 0 lower, 0.5 equal", () => {
  assert.deepEqual(preferencesFromScores([0.5, -1, 0.2, 0], [0.1, 0, 0.2, -0.3]), [1, 0, 0.5, 1]);
  assert.throws(() => preferencesFromScores([1], [1, 2]));
});

test("Wilson interval: textbook values, inside [0, 1], not degenerate at 0 or 1", () => {
  const [lo, hi] = wilsonInterval(0.5, 10);
  close(lo, 0.236593, 1e-5, "lo");
  close(hi, 0.763407, 1e-5, "hi");
  const [lo1, hi1] = wilsonInterval(1, 10);
  close(lo1, 0.722467, 1e-5, "lo at p=1");
  close(hi1, 1, 1e-12);
  const [lo0, hi0] = wilsonInterval(0, 10);
  close(lo0, 0, 1e-12);
  close(hi0, 1 - 0.722467, 1e-5);
});

/** The gradient of the GLM objective at theta (0 at the optimum): sum (sigmoid(z) - p) x + theta / C. */
function glmGradient(p: number[], lm: number[], lb: number[], bias: number, w: number, scale: number): [number, number] {
  let g0 = bias / LC_INVERSE_L2, g1 = w / LC_INVERSE_L2;
  p.forEach((pi, i) => {
    const t = Number.isNaN(scale) ? 0 : Math.tanh((lm[i]! - lb[i]!) / scale), r = sigmoid(bias + w * t) - pi;
    g0 += r;
    g1 += r * t;
  });
  return [g0, g1];
}

/** n prompts with length differences d (model minus baseline) on a baseline of 50 tokens. */
const lengthsOf = (d: number[]) => ({ lm: d.map((x) => 50 + x), lb: d.map(() => 50) });

test("LC: no length effect (preferences the same at +d and -d) gives a zero length term and LC ~ raw", () => {
  const pattern = [1, 1, 0, 1, 0.5, 1, 1, 0, 1, 1]; // raw 0.75
  const prefs: number[] = [], d: number[] = [];
  for (let k = 0; k < 4; k++) for (const [j, p] of pattern.entries()) for (const s of [1, -1]) {
    prefs.push(p);
    d.push(s * (3 + j + 7 * k));
  }
  const { lm, lb } = lengthsOf(d);
  const lc = lengthControlledWinRate(prefs, lm, lb, { resamples: 200 });
  close(lc.glm.length, 0, 1e-9, "length coefficient");
  close(lc.lc_win_rate, 0.75, 0.005, "LC vs raw");
  // the only gap is the L2 pull towards 0.5: sigmoid(bias) with sum(sigmoid(bias) - p) + bias / C = 0
  close(prefs.length * (lc.lc_win_rate - 0.75) + lc.glm.bias / LC_INVERSE_L2, 0, 1e-9, "optimality");
  assert.ok(lc.ci_low < lc.lc_win_rate && lc.lc_win_rate < lc.ci_high, `CI [${lc.ci_low}, ${lc.ci_high}]`);
});

test("LC: preferences made by length alone give LC ~ 0.5 while the raw win rate is high", () => {
  const u = mulberry32(7);
  // mostly longer model outputs; P(model wins) depends only on the length difference, 0.5 at no difference
  const d = Array.from({ length: 400 }, () => Math.round(8 + 12 * (u() + u() + u() - 1.5)));
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const std = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (d.length - 1));
  const prefs = d.map((x) => sigmoid(2.5 * Math.tanh(x / std)));
  const { lm, lb } = lengthsOf(d);
  const w = winRate(prefs, lm, lb, { judge: "j", baseline: "b", resamples: 200 });
  assert.ok(w.win_rate > 0.75, `raw ${w.win_rate}`);
  close(w.lc_win_rate, 0.5, 0.01, "LC");
  const glm = fitLengthGlm(prefs, lm, lb);
  close(glm.length, 2.5, 0.05, "recovered length coefficient");
  close(glm.scale, std, 1e-9, "length scale (ddof 1)");
  const [g0, g1] = glmGradient(prefs, lm, lb, glm.bias, glm.length, glm.scale);
  close(g0, 0, 1e-8, "dJ/dbias");
  close(g1, 0, 1e-8, "dJ/dlength");
});

test("LC: swapping model and baseline mirrors every number, interval included", () => {
  const u = mulberry32(3);
  const n = 60, lm = Array.from({ length: n }, () => 10 + Math.floor(40 * u())), lb = Array.from({ length: n }, () => 10 + Math.floor(40 * u()));
  const prefs = lm.map((x, i) => (u() < sigmoid(0.6 + (x - lb[i]!) / 20) ? 1 : u() < 0.2 ? 0.5 : 0));
  const a = winRate(prefs, lm, lb, { judge: "j", baseline: "b", seed: 5, resamples: 300 });
  const b = winRate(prefs.map((p) => 1 - p), lb, lm, { judge: "j", baseline: "b", seed: 5, resamples: 300 });
  close(a.win_rate + b.win_rate, 1, 1e-12, "raw");
  close(a.ci_low + b.ci_high, 1, 1e-12, "Wilson");
  close(a.lc_win_rate + b.lc_win_rate, 1, 1e-9, "LC");
  close(a.lc_ci_low! + b.lc_ci_high!, 1, 1e-9, "LC interval");
  assert.equal(a.wins, b.losses);
  assert.equal(a.ties, b.ties);
});

test("LC: perfectly separable data stays finite (the L2 term), and all-wins stays below 1", () => {
  // mirrored (d, p) -> (-d, 1 - p): the objective is even in the bias, so the optimum has bias 0 and LC 0.5
  const d = Array.from({ length: 30 }, (_, i) => (i % 2 ? 1 : -1) * (1 + (i >> 1)));
  const { lm, lb } = lengthsOf(d);
  const prefs = d.map((x) => (x > 0 ? 1 : 0));
  const lc = lengthControlledWinRate(prefs, lm, lb, { resamples: 100 });
  assert.ok(Number.isFinite(lc.glm.bias) && Number.isFinite(lc.glm.length), JSON.stringify(lc.glm));
  assert.ok(lc.glm.length > 5, `length coefficient ${lc.glm.length}`);
  close(lc.lc_win_rate, 0.5, 1e-9, "LC of separable-by-length");
  const [g0, g1] = glmGradient(prefs, lm, lb, lc.glm.bias, lc.glm.length, lc.glm.scale);
  close(g0, 0, 1e-7);
  close(g1, 0, 1e-7);
  const all = lengthControlledWinRate(d.map(() => 1), lm, lb, { resamples: 100 });
  assert.ok(Number.isFinite(all.lc_win_rate) && all.lc_win_rate > 0.9 && all.lc_win_rate < 1, `${all.lc_win_rate}`);
  assert.ok(Number.isFinite(all.ci_low) && all.ci_high < 1);
});

test("LC: equal length differences leave the length term out; the bootstrap is seeded", () => {
  const prefs = [1, 0, 1, 1, 0.5, 1, 0, 1];
  const lm = prefs.map(() => 12), lb = prefs.map(() => 10);
  const lc = lengthControlledWinRate(prefs, lm, lb, { seed: 1 });
  assert.equal(lc.glm.length, 0);
  assert.ok(Number.isNaN(lc.glm.scale));
  close(lc.lc_win_rate, 0.6875, 0.01, "bias-only LC ~ raw");
  const u = mulberry32(9);
  const lm2 = prefs.map(() => Math.floor(30 * u())), lb2 = prefs.map(() => Math.floor(30 * u()));
  const s1 = lengthControlledWinRate(prefs, lm2, lb2, { seed: 1 }), s1b = lengthControlledWinRate(prefs, lm2, lb2, { seed: 1 });
  const s2 = lengthControlledWinRate(prefs, lm2, lb2, { seed: 2 });
  assert.deepEqual([s1.ci_low, s1.ci_high], [s1b.ci_low, s1b.ci_high]);
  assert.notDeepEqual([s1.ci_low, s1.ci_high], [s2.ci_low, s2.ci_high]);
});

test("winRate: the winrates.json entry", () => {
  const w = winRate([1, 0, 0.5, 1], [10, 20, 30, 40], [12, 12, 12, 12], { judge: "lexicon", baseline: "base", meanReward: 0.3, meanRewardBaseline: 0.1, resamples: 50 });
  assert.equal(w.judge, "lexicon");
  assert.equal(w.baseline, "base");
  assert.equal(w.n, 4);
  assert.equal(w.win_rate, 0.625);
  assert.deepEqual([w.wins, w.ties, w.losses], [2, 1, 1]);
  assert.equal(w.mean_length, 25);
  assert.equal(w.mean_length_baseline, 12);
  assert.equal(w.mean_reward, 0.3);
  assert.ok(w.ci_low < 0.625 && w.ci_high > 0.625);
  assert.throws(() => winRate([], [], [], { judge: "j", baseline: "b" }), UserError);
  assert.throws(() => winRate([1.5], [1], [1], { judge: "j", baseline: "b" }), /not in \[0, 1\]/);
});

test("winRateDifference: pooled A - B by hand; the prompt bootstrap brackets it, is seeded, and shrinks with n", () => {
  // 2 seeds of A, 1 of B, 4 prompts: per prompt mean(A) - B = [0.5, 0, 0.25, -0.5] -> mean 0.0625
  const a = [[1, 1, 0.5, 0], [0, 1, 1, 0]], b = [[0, 1, 0.5, 0.5]];
  const r = winRateDifference(a, b, { samples: 500, seed: 3 });
  assert.ok(Math.abs(r.delta - 0.0625) < 1e-15);
  assert.equal(r.prompts, 4);
  assert.ok(r.ci_low <= r.delta && r.delta <= r.ci_high && r.ci_low >= -0.5 && r.ci_high <= 0.5);
  assert.deepEqual(winRateDifference(a, b, { samples: 500, seed: 3 }), r);
  // identical methods: delta 0 and a zero-width interval
  const same = winRateDifference(a, a);
  assert.deepEqual([same.delta, same.ci_low, same.ci_high], [0, 0, 0]);
  // A wins 70% and B 50% of 2000 independent prompts: delta near 0.2, an interval about +-1.96 * sqrt(0.46 / n)
  const u = mulberry32(9), n = 2000;
  const pa = Array.from({ length: n }, () => (u() < 0.7 ? 1 : 0)), pb = Array.from({ length: n }, () => (u() < 0.5 ? 1 : 0));
  const big = winRateDifference([pa], [pb]);
  const want = 1.96 * Math.sqrt((0.7 * 0.3 + 0.5 * 0.5) / n), half = (big.ci_high - big.ci_low) / 2;
  assert.ok(big.ci_low < big.delta && big.delta < big.ci_high && Math.abs(big.delta - 0.2) < 1.5 * want, JSON.stringify(big));
  assert.ok(Math.abs(half - want) < 0.25 * want, `half-width ${half} vs ${want}`);
  assert.throws(() => winRateDifference([[1, 0]], [[1]]), /same prompts/);
});
