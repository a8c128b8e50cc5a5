// The reward-generation-gap analysis, after the POET paper (arXiv 2506.09457, sec. 3): where along a response do
// a model's log-probs and its implicit reward live, and how much of the generation quality its first k tokens
// already decide. Three measurements over preference pairs and prompts; the fourth view (chosen reward against
// margin over training) is read from the run's log by the report.
import type { EncodedPair } from "../data/types.js";
import { Tape } from "../engine/tape.js";
import type { GapAnalysis } from "./types.js";
import type { CausalLM } from "../models/model.js";
import { packForScoring, pairSequences, tokenLogprobs } from "../models/scoring.js";
import { generate } from "./generate.js";

/** Per-token log-probs of each pair's chosen and rejected completions (no truncation). */
export function tokenLogps(model: CausalLM, pairs: readonly EncodedPair[], batchPairs = 32): { chosen: Float64Array[]; rejected: Float64Array[] } {
  const chosen: Float64Array[] = [], rejected: Float64Array[] = [];
  for (let i = 0; i < pairs.length; i += batchPairs) {
    const chunk = pairs.slice(i, i + batchPairs);
    const sb = packForScoring(pairSequences(chunk));
    const lp = tokenLogprobs(model, new Tape(model.backend, false), sb).data;
    const per: number[][] = Array.from({ length: sb.nseq }, () => []);
    for (let m = 0; m < sb.seqOfRow.length; m++) per[sb.seqOfRow[m]!]!.push(lp[m]!);
    for (let s = 0; s < sb.nseq; s++) (s % 2 === 0 ? chosen : rejected).push(Float64Array.from(per[s]!));
  }
  return { chosen, rejected };
}

/** Mean cross-entropy (-log p) of response tokens at each position, up to `maxPosition`. */
export function perPositionCE(lp: { chosen: Float64Array[]; rejected: Float64Array[] }, maxPosition = 64): GapAnalysis["per_position_ce"] {
  const out: GapAnalysis["per_position_ce"] = [];
  for (let t = 0; t < maxPosition; t++) {
    let c = 0, r = 0, nc = 0, nr = 0;
    for (const x of lp.chosen) if (t < x.length) (c -= x[t]!), nc++;
    for (const x of lp.rejected) if (t < x.length) (r -= x[t]!), nr++;
    if (nc === 0 && nr === 0) break;
    out.push({ position: t, chosen: nc ? c / nc : NaN, rejected: nr ? r / nr : NaN, count: Math.min(nc, nr) });
  }
  return out;
}

const prefixSum = (x: Float64Array, k: number) => {
  let s = 0;
  for (let i = 0; i < Math.min(k, x.length); i++) s += x[i]!;
  return s;
};

/**
 * The implicit reward beta * (log pi - log ref) of chosen and rejected when both are cut to their first k tokens:
 * mean margin and accuracy (chosen > rejected) at each k. With `reference` null (SimPO-style), the reward is
 * beta * the average log-prob of the prefix.
 */
export function rewardByPrefix(policy: { chosen: Float64Array[]; rejected: Float64Array[] },
  reference: { chosen: Float64Array[]; rejected: Float64Array[] } | null, beta: number, ks: readonly number[]): GapAnalysis["reward_by_prefix"] {
  return ks.map((k) => {
    let margin = 0, acc = 0;
    const n = policy.chosen.length;
    for (let i = 0; i < n; i++) {
      const pc = policy.chosen[i]!, pr = policy.rejected[i]!;
      const kc = Math.min(k, pc.length), kr = Math.min(k, pr.length);
      const rc = reference ? beta * (prefixSum(pc, k) - prefixSum(reference.chosen[i]!, k)) : (beta * prefixSum(pc, k)) / kc;
      const rr = reference ? beta * (prefixSum(pr, k) - prefixSum(reference.rejected[i]!, k)) : (beta * prefixSum(pr, k)) / kr;
      margin += rc - rr;
      acc += rc > rr ? 1 : 0;
    }
    return { k, margin: margin / Math.max(1, n), accuracy: acc / Math.max(1, n), pairs: n };
  });
}

/**
 * Quality of prefixes: the policy answers each prompt; its first k tokens are kept and the base model writes the
 * rest (to the same total budget); the judge scores the result. If quality is decided early, a few policy tokens
 * already lift the base model's continuation most of the way to the policy's own score (k = full).
 */
export function prefixQuality(policy: CausalLM, base: CausalLM, prompts: readonly number[][], ks: readonly number[],
  score: (completions: number[][]) => number[], opt: { maxNewTokens: number; seed: number; eosIds: readonly number[]; temperature: number }): GapAnalysis["prefix_quality"] {
  const g = { maxNewTokens: opt.maxNewTokens, temperature: opt.temperature, topP: 1, topK: 0, seed: opt.seed, eosIds: opt.eosIds };
  const own = generate(policy, prompts, g);
  return ks.map((k) => {
    const prefixes = own.map((c) => c.slice(0, Math.min(k, c.length)));
    // a policy answer no longer than k is taken whole: nothing is left for the base model to continue
    const ended = own.map((c) => c.length <= k);
    const todo = prompts.map((p, i) => [...p, ...prefixes[i]!]);
    const rest = generate(base, todo, { ...g, maxNewTokens: Math.max(1, opt.maxNewTokens - k), seed: opt.seed + k });
    const full = prefixes.map((p, i) => (ended[i] ? p : [...p, ...rest[i]!]));
    const s = score(full);
    return { k, score: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), n: s.length };
  });
}
