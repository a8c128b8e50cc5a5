// RPO's extra NLL term, added to any loss of the table when rpoAlpha > 0. Nothing else.

import type { LossDef } from "./def.js";
import { chosenNll } from "./nll.js";

/**
 * RPO (Pang et al. 2024, "Iterative Reasoning Preference Optimization", arXiv 2404.19733), as TRL's
 * `rpo_alpha` (DPOTrainer `get_batch_loss_metrics`, v0.28: `losses + rpo_alpha * nll_loss`):
 *
 *   loss' = loss + alpha NLL(chosen),    dloss'/dpc_i = dloss/dpc_i - alpha / sum_j nc_j     // NLL from nll.ts
 *
 * With orpo, whose loss already holds one NLL, the NLL's weight becomes 1 + alpha. alpha = 0 returns `def` itself.
 */
export function withRpo(def: LossDef): LossDef {
  return {
    ...def,
    compute(input, config) {
      const result = def.compute(input, config);
      const alpha = config.rpoAlpha;
      if (alpha === 0) return result;
      const nll = chosenNll(input.policy);
      for (let i = 0; i < result.dChosen.length; i++) result.dChosen[i]! += alpha * nll.dChosen[i]!;
      return { ...result, loss: result.loss + alpha * nll.loss };
    },
  };
}
