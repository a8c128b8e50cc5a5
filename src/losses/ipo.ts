// IPO's squared loss, on per-token averaged log-ratios as TRL computes it. Reads policy and reference.

import type { LossDef } from "./def.js";
import { meanOverPairs } from "./pairwise.js";

/**
 * IPO (Azar et al. 2023, arXiv 2310.12036, eq. 17; beta is the paper's tau), as TRL DPOTrainer
 * `loss_type="ipo"`: TRL's `concatenated_forward` divides every sequence log-prob by its completion-token count
 * when "ipo" is among the loss types (`all_logps / loss_mask.sum(-1)`, policy and reference alike; v0.28, and the
 * newest `_compute_loss` does the same, noting the IPO authors confirmed this normalisation), then `dpo_loss` takes
 *
 *   logits = (pc - rc) / nc - (pr - rr) / nr              // nc, nr: scored tokens of chosen / rejected
 *   l      = (logits - 1 / (2 beta))^2
 *   dl/dpc =  2 (logits - 1/(2 beta)) / nc
 *   dl/dpr = -2 (logits - 1/(2 beta)) / nr
 *
 * The reference is averaged over the same counts (same token sequences). Label smoothing does not apply (TRL
 * ignores it for ipo, with a warning).
 */
export const ipo: LossDef = {
  needsReference: true,
  averagesLogps: true,
  reads: ["beta"],
  source: "IPO, Azar et al. 2023 (arXiv 2310.12036) eq. 17; TRL DPOTrainer loss_type=ipo (length-averaged log-probs)",
  compute: (input, { beta }) =>
    meanOverPairs(input, true, (p) => {
      const logits = (p.chosen - p.refChosen) / p.chosenTokens - (p.rejected - p.refRejected) / p.rejectedTokens;
      const d = logits - 1 / (2 * beta);
      return { loss: d * d, dChosen: (2 * d) / p.chosenTokens, dRejected: (-2 * d) / p.rejectedTokens };
    }),
};
