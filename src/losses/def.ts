// What one entry of the loss table is: its needs (a reference model? averaged log-probs?), the config fields it
// reads, its paper, and compute(). The table itself is in index.ts; the input/output contract in types.ts.

import type { LossConfig, LossInput, LossResult } from "./types.js";

/** A LossConfig field a loss may read; rpoAlpha is read by every loss (rpo.ts), so it is not listed. */
export type LossHyperparameter = Exclude<keyof LossConfig, "rpoAlpha">;

export interface LossDef {
  /** compute() reads input.reference (it must then be non-null); false: the reference is ignored, even if given. */
  needsReference: boolean;
  /**
   * true: the loss sees each sequence log-prob divided by its scored-token count (after truncation), i.e. the
   * per-token average, as TRL does for ipo (DPOTrainer), simpo (CPOTrainer) and ORPO. compute() does the division
   * itself from input.*Tokens; inputs are always sums. Metrics that report rewards or log-probs should average too.
   */
  averagesLogps: boolean;
  /** The config fields compute() reads (besides rpoAlpha); setting another one has no effect, which callers may warn about as TRL does. */
  reads: readonly LossHyperparameter[];
  /** Paper and the TRL trainer whose math it follows, for --help and reports. */
  source: string;
  /** Batch loss (mean over pairs, plus rpoAlpha * NLL) and its exact gradient w.r.t. policy.chosen / policy.rejected. */
  compute(input: LossInput, config: LossConfig): LossResult;
}
