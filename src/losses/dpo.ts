// DPO's sigmoid loss with conservative label smoothing. Reads summed log-probs of policy and reference.

import type { LossDef } from "./def.js";
import { smoothedLogistic } from "./logistic.js";
import { meanOverPairs } from "./pairwise.js";

/**
 * DPO (Rafailov et al. 2023, arXiv 2305.18290), TRL DPOTrainer `loss_type="sigmoid"` (trl/trainer/dpo_trainer.py,
 * `dpo_loss`, v0.28), with conservative DPO's label smoothing eps (Mitchell 2023; TRL `label_smoothing`):
 *
 *   logits = (pc - rc) - (pr - rr)                       // p = policy, r = reference; c/r = chosen/rejected sums
 *   l      = -(1 - eps) log sigmoid(beta logits) - eps log sigmoid(-beta logits)
 *   dl/dpc = beta l'(beta logits),  dl/dpr = -beta l'(beta logits)      // l' from logistic.ts
 *
 * eps = 0 is the paper's loss. (TRL >= 1.0 dropped eps from "sigmoid" and keeps it in "robust"; v0.28 and the
 * POET repo's trainer have it as written here.)
 */
export const dpo: LossDef = {
  needsReference: true,
  averagesLogps: false,
  reads: ["beta", "labelSmoothing"],
  source: "DPO, Rafailov et al. 2023 (arXiv 2305.18290); label smoothing: conservative DPO, Mitchell 2023; TRL DPOTrainer loss_type=sigmoid",
  compute: (input, { beta, labelSmoothing }) =>
    meanOverPairs(input, true, (p) => {
      const logits = p.chosen - p.refChosen - (p.rejected - p.refRejected);
      const { loss, dz } = smoothedLogistic(beta * logits, labelSmoothing);
      return { loss, dChosen: beta * dz, dRejected: -beta * dz };
    }),
};
