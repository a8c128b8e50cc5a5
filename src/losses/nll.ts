// The negative log-likelihood of the chosen completions, averaged over all their tokens in the batch: ORPO's SFT
// term and RPO's (rpo.ts). Reads the policy's chosen sums and token counts only.

import type { SequenceLogps } from "./types.js";

/**
 * NLL = -sum_i pc_i / sum_i nc_i        // one mean over every scored chosen token of the batch, not a mean of means
 * dNLL/dpc_i = -1 / sum_i nc_i
 *
 * This is torch's `cross_entropy` with mean reduction over the chosen tokens, as TRL's DPOTrainer computes
 * `nll_loss` for rpo_alpha (`concatenated_forward`, completion tokens only). The tokens are the scored ones, i.e.
 * after truncation (under POET: the first k of the chosen completion). Two departures from other trainers: TRL's
 * ORPOTrainer puts the prompt's tokens in its NLL too, and the POET/SimPO repos' `sft_weight` term uses the whole,
 * untruncated chosen completion; neither can be expressed from sequence sums.
 */
export function chosenNll(policy: SequenceLogps): { loss: number; dChosen: Float64Array } {
  let logps = 0;
  let tokens = 0;
  for (let i = 0; i < policy.chosen.length; i++) {
    logps += policy.chosen[i]!;
    tokens += policy.chosenTokens[i]!;
  }
  return { loss: -logps / tokens, dChosen: new Float64Array(policy.chosen.length).fill(-1 / tokens) };
}
