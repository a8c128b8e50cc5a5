// The contract of a preference loss: it consumes per-pair sequence log-probs (sums over completion tokens, after
// truncation) of the policy and, when it needs one, of the reference model, and returns the batch loss (mean over
// pairs) and its gradient with respect to the policy's sequence log-probs. Metrics (rewards, margins,
// accuracies) are computed elsewhere, from the same inputs.

/** Sequence log-probs of B pairs under one model. */
export interface SequenceLogps {
  chosen: Float64Array; // (B) sum of log p over the chosen completion's tokens
  rejected: Float64Array; // (B)
  chosenTokens: Float64Array; // (B) number of scored tokens (after truncation), for averages
  rejectedTokens: Float64Array; // (B)
}

export interface LossInput {
  policy: SequenceLogps;
  /** null for reference-free losses (simpo, orpo). */
  reference: SequenceLogps | null;
}

/** Hyper-parameters, named as TRL's DPOConfig / CPOConfig and the POET paper's configs. */
export interface LossConfig {
  /** beta: temperature of the implicit reward (DPO 0.1; SimPO 2-10; IPO's tau). */
  beta: number;
  /** Conservative DPO / robust label noise epsilon in [0, 0.5). 0 disables. */
  labelSmoothing: number;
  /** SimPO's target margin gamma (absolute). */
  simpoGamma: number;
  /** Weight of an NLL term on the chosen response (RPO, Pang et al. 2024). 0 disables. */
  rpoAlpha: number;
}

export interface LossResult {
  /** Mean over the batch. */
  loss: number;
  /** d loss / d policy.chosen[i] and d loss / d policy.rejected[i]. */
  dChosen: Float64Array;
  dRejected: Float64Array;
}

export type LossName = "dpo" | "ipo" | "hinge" | "simpo" | "orpo";
