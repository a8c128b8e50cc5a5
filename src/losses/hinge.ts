// SLiC's hinge loss on DPO's log-ratio margin. Reads summed log-probs of policy and reference.

import type { LossDef } from "./def.js";
import { meanOverPairs } from "./pairwise.js";

/**
 * SLiC-HF hinge (Zhao et al. 2023, arXiv 2305.10425), as TRL DPOTrainer `loss_type="hinge"`, where beta is the
 * inverse of SLiC's margin delta:
 *
 *   logits = (pc - rc) - (pr - rr)
 *   l      = max(0, 1 - beta logits)
 *   dl/dpc = -beta [beta logits < 1],  dl/dpr = beta [beta logits < 1]
 *
 * At the kink (beta logits = 1) the gradient is 0, as torch's relu'(0) = 0. No label smoothing (TRL ignores it).
 */
export const hinge: LossDef = {
  needsReference: true,
  averagesLogps: false,
  reads: ["beta"],
  source: "SLiC-HF hinge, Zhao et al. 2023 (arXiv 2305.10425); TRL DPOTrainer loss_type=hinge",
  compute: (input, { beta }) =>
    meanOverPairs(input, true, (p) => {
      const margin = 1 - beta * (p.chosen - p.refChosen - (p.rejected - p.refRejected));
      return margin > 0 ? { loss: margin, dChosen: -beta, dRejected: beta } : { loss: 0, dChosen: 0, dRejected: 0 };
    }),
};
