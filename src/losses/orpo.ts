// ORPO: reference-free; the chosen NLL plus beta times a log-odds-ratio term on averaged log-probs. Policy only.

import type { LossDef } from "./def.js";
import { log1mexp } from "./log1mexp.js";
import { logSigmoid } from "./logistic.js";
import { chosenNll } from "./nll.js";
import { meanOverPairs } from "./pairwise.js";

/**
 * ORPO (Hong et al. 2024, arXiv 2403.07691, eqs. 4 and 7), as TRL ORPOTrainer (trl/experimental/orpo/orpo_trainer.py,
 * `odds_ratio_loss` and `get_batch_loss_metrics`; beta is the paper's lambda). With averaged log-probs
 * ac = pc / nc, ar = pr / nr (`average_log_prob=True`):
 *
 *   log_odds = (ac - ar) - (log(1 - e^ac) - log(1 - e^ar))        // log odds(y_c) - log odds(y_r)
 *   loss     = NLL(chosen) - beta mean_i log sigmoid(log_odds_i)   // TRL: policy_nll_loss - losses.mean()
 *
 * NLL is nll.ts's token mean over the batch's scored chosen tokens (TRL's includes prompt tokens: see nll.ts).
 * Gradient of one pair's odds term o = -beta log sigmoid(log_odds), with A = 1 - e^ac, C = 1 - e^ar and
 * D = A + e^(ac - ar) C (all >= 0, so no cancellation; derived from sigmoid(-log_odds) = odds_r / (odds_c + odds_r)):
 *
 *   do/dac = -beta / D,    do/dar = beta A / (C D),    then  d/dpc = (d/dac) / nc,  d/dpr = (d/dar) / nr
 *
 * Finite for every ac, ar < 0. At ar = 0 (the rejected completion certain) the odds are infinite and so are the
 * loss and its gradient, as in TRL; ac = 0 gives the limit (term 0, finite gradient).
 */
export const orpo: LossDef = {
  needsReference: false,
  averagesLogps: true,
  reads: ["beta"],
  source: "ORPO, Hong et al. 2024 (arXiv 2403.07691); TRL ORPOTrainer odds_ratio_loss",
  compute(input, config) {
    const { beta } = config;
    const odds = meanOverPairs(input, false, (p) => {
      const ac = p.chosen / p.chosenTokens;
      const ar = p.rejected / p.rejectedTokens;
      const logOdds = ac - ar - (log1mexp(ac) - log1mexp(ar));
      const A = -Math.expm1(ac); // 1 - e^ac
      const C = -Math.expm1(ar); // 1 - e^ar
      const D = A + Math.exp(ac - ar) * C;
      return { loss: -beta * logSigmoid(logOdds), dChosen: -beta / D / p.chosenTokens, dRejected: (beta * A) / (C * D) / p.rejectedTokens };
    });
    const nll = chosenNll(input.policy);
    for (let i = 0; i < odds.dChosen.length; i++) odds.dChosen[i]! += nll.dChosen[i]!;
    return { loss: nll.loss + odds.loss, dChosen: odds.dChosen, dRejected: odds.dRejected };
  },
};
