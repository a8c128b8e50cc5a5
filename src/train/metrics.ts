// TRL's preference metrics from sequence log-probs, computed apart from the loss: implicit rewards
// (beta * (policy - reference), or for reference-free losses beta * the policy log-prob, as TRL's CPOTrainer
// reports SimPO), their margins and accuracies, and the policy's log-probs; per-token averages wherever the loss
// works on averages. Means over the pairs.
import type { LossInput } from "../losses/types.js";

export interface PreferenceMetrics {
  "rewards/chosen": number;
  "rewards/rejected": number;
  "rewards/accuracies": number;
  "rewards/margins": number;
  "logps/chosen": number;
  "logps/rejected": number;
}

export interface RewardStyle {
  beta: number;
  /** Reference-free losses reward beta * average log-prob (SimPO); others beta * log-ratio to the reference. */
  referenceFree: boolean;
  /** Losses that see per-token averages (ipo, simpo, orpo): rewards and logps/* are averaged too, as TRL reports. */
  averageLogps: boolean;
}

/** Per-pair sums, to be averaged over a whole data set or a logging window. */
export interface MetricSums {
  n: number;
  rc: number;
  rr: number;
  acc: number;
  margin: number;
  lc: number;
  lr: number;
}

export function emptySums(): MetricSums {
  return { n: 0, rc: 0, rr: 0, acc: 0, margin: 0, lc: 0, lr: 0 };
}

export function accumulate(sums: MetricSums, input: LossInput, style: RewardStyle): void {
  const p = input.policy, r = input.reference;
  for (let i = 0; i < p.chosen.length; i++) {
    const nc = style.averageLogps ? p.chosenTokens[i]! : 1, nr = style.averageLogps ? p.rejectedTokens[i]! : 1;
    const ac = p.chosen[i]! / nc, ar = p.rejected[i]! / nr;
    const rc = style.referenceFree || !r ? style.beta * ac : style.beta * (ac - r.chosen[i]! / nc);
    const rr = style.referenceFree || !r ? style.beta * ar : style.beta * (ar - r.rejected[i]! / nr);
    sums.n++;
    sums.rc += rc;
    sums.rr += rr;
    sums.acc += rc > rr ? 1 : 0;
    sums.margin += rc - rr;
    sums.lc += ac;
    sums.lr += ar;
  }
}

export function means(s: MetricSums): PreferenceMetrics {
  const d = Math.max(1, s.n);
  return {
    "rewards/chosen": s.rc / d, "rewards/rejected": s.rr / d, "rewards/accuracies": s.acc / d,
    "rewards/margins": s.margin / d, "logps/chosen": s.lc / d, "logps/rejected": s.lr / d,
  };
}
