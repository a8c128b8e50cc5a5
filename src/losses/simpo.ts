// SimPO: reference-free, length-normalised logistic loss with a target margin. Reads the policy only.

import type { LossDef } from "./def.js";
import { smoothedLogistic } from "./logistic.js";
import { meanOverPairs } from "./pairwise.js";

/**
 * SimPO (Meng et al. 2024, arXiv 2405.14734), as princeton-nlp/SimPO `SimPOTrainer.simpo_loss` (and the POET
 * repo's copy of it) and TRL CPOTrainer `loss_type="simpo"` (trl/experimental/cpo/cpo_trainer.py `cpo_loss`), with
 * log-probs averaged over the scored tokens (`average_log_prob=True`; under POET that is k for both):
 *
 *   z      = beta (pc / nc - pr / nr) - gamma
 *   l      = -(1 - eps) log sigmoid(z) - eps log sigmoid(-z)
 *   dl/dpc = l'(z) beta / nc,  dl/dpr = -l'(z) beta / nr             // l' from logistic.ts
 *
 * gamma is config.simpoGamma, the ABSOLUTE margin (TRL's `simpo_gamma`). The SimPO and POET repos configure
 * `gamma_beta_ratio` instead (their code: logits = pc/nc - pr/nr - gamma_beta_ratio, loss on beta * logits), so a
 * caller converts: simpoGamma = gamma_beta_ratio * beta (e.g. POET's Mistral config: 0.8 * 2.0 = 1.6).
 */
export const simpo: LossDef = {
  needsReference: false,
  averagesLogps: true,
  reads: ["beta", "labelSmoothing", "simpoGamma"],
  source: "SimPO, Meng et al. 2024 (arXiv 2405.14734); princeton-nlp/SimPO SimPOTrainer; TRL CPOTrainer loss_type=simpo",
  compute: (input, { beta, labelSmoothing, simpoGamma }) =>
    meanOverPairs(input, false, (p) => {
      const z = beta * (p.chosen / p.chosenTokens - p.rejected / p.rejectedTokens) - simpoGamma;
      const { loss, dz } = smoothedLogistic(z, labelSmoothing);
      return { loss, dChosen: (dz * beta) / p.chosenTokens, dRejected: (-dz * beta) / p.rejectedTokens };
    }),
};
