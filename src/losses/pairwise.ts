// Turns a per-pair loss into the batch contract of types.ts: checks the input's shapes, takes the mean over the
// B pairs and scales each pair's partials by 1/B. The per-pair math lives in the loss files.

import type { LossInput, LossResult } from "./types.js";

/** One pair's sequence log-probs: sums over its scored completion tokens, and those token counts. */
export interface PairLogps {
  chosen: number;
  rejected: number;
  /** The reference's sums; NaN when the loss was given no reference (reference-free losses never read them). */
  refChosen: number;
  refRejected: number;
  chosenTokens: number;
  rejectedTokens: number;
}

/** l_i and its partials d l_i / d policy.chosen[i], d l_i / d policy.rejected[i]. */
export interface PairLoss {
  loss: number;
  dChosen: number;
  dRejected: number;
}

/**
 * loss = (1/B) sum_i l_i;  d loss / d chosen[i] = (1/B) d l_i / d chosen[i] (likewise rejected).
 * Mismatched lengths, an empty batch, a token count < 1 or a missing reference are bugs of the caller: Error.
 */
export function meanOverPairs(input: LossInput, needsReference: boolean, pairLoss: (p: PairLogps) => PairLoss): LossResult {
  checkInput(input, needsReference);
  const { policy } = input;
  const reference = needsReference ? input.reference : null;
  const B = policy.chosen.length;
  const dChosen = new Float64Array(B); // (B)
  const dRejected = new Float64Array(B); // (B)
  let sum = 0;
  for (let i = 0; i < B; i++) {
    const l = pairLoss({
      chosen: policy.chosen[i]!,
      rejected: policy.rejected[i]!,
      refChosen: reference ? reference.chosen[i]! : NaN,
      refRejected: reference ? reference.rejected[i]! : NaN,
      chosenTokens: policy.chosenTokens[i]!,
      rejectedTokens: policy.rejectedTokens[i]!,
    });
    sum += l.loss;
    dChosen[i] = l.dChosen / B;
    dRejected[i] = l.dRejected / B;
  }
  return { loss: sum / B, dChosen, dRejected };
}

function checkInput(input: LossInput, needsReference: boolean): void {
  const { policy, reference } = input;
  const B = policy.chosen.length;
  if (B === 0) throw new Error("loss of an empty batch");
  const lengths = [policy.rejected.length, policy.chosenTokens.length, policy.rejectedTokens.length];
  if (lengths.some((n) => n !== B)) throw new Error(`policy log-prob arrays differ in length: ${[B, ...lengths].join(", ")}`);
  for (let i = 0; i < B; i++)
    if (!(policy.chosenTokens[i]! >= 1 && policy.rejectedTokens[i]! >= 1))
      throw new Error(`pair ${i}: token counts must be >= 1, got ${policy.chosenTokens[i]} and ${policy.rejectedTokens[i]}`);
  if (!needsReference) return;
  if (reference === null) throw new Error("this loss needs the reference model's log-probs, got none");
  if (reference.chosen.length !== B || reference.rejected.length !== B)
    throw new Error(`reference has ${reference.chosen.length}/${reference.rejected.length} pairs, policy ${B}`);
}
