// Log-probs of preference pairs: truncate (none | poet), pack chosen and rejected sequences under a token budget,
// and sum completion-token log-probs per response. The inference path of `poet logps`; training reuses the pieces.
import { Tape } from "../engine/tape.js";
import { truncatePair } from "../data/truncation.js";
import type { EncodedPair, Truncation } from "../data/types.js";
import { UserError, at } from "../errors.js";
import type { CausalLM } from "./model.js";
import { packForScoring, pairSequences, sumPerSequence, tokenLogprobs } from "./scoring.js";

export interface PairLogps {
  chosen_logps: number;
  rejected_logps: number;
  chosen_tokens: number;
  rejected_tokens: number;
}

export interface PairLogpsOptions {
  truncation: Truncation;
  /** Tokens fed per forward pass (pairs are never split). Default 8192. */
  batchTokens?: number;
  /** Called after each forward pass with pairs done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** Checks that a pair can be scored by this model (prompt non-empty, fits the position limit). */
export function checkScorable(model: CausalLM, p: EncodedPair): void {
  const where = at(p.source.file, p.source.line);
  if (p.promptIds.length === 0)
    throw new UserError(`${where}: empty prompt: the first completion token has nothing to be predicted from; start the prompt with the BOS token`);
  const longest = p.promptIds.length + Math.max(p.chosenIds.length, p.rejectedIds.length) - 1;
  if (model.maxPositions !== null && longest > model.maxPositions)
    throw new UserError(`${where}: ${longest} tokens exceed the model's ${model.maxPositions} positions; shorten the row or use --max-length`);
}

export function pairLogps(model: CausalLM, pairs: readonly EncodedPair[], opts: PairLogpsOptions): PairLogps[] {
  const budget = opts.batchTokens ?? 8192;
  const tp = pairs.map((p) => truncatePair(p, opts.truncation));
  tp.forEach((p) => checkScorable(model, p));
  const out: PairLogps[] = [];
  let i = 0;
  while (i < tp.length) {
    let tokens = 0;
    const start = i;
    while (i < tp.length) {
      const p = tp[i]!;
      const n = 2 * p.promptIds.length + p.chosenIds.length + p.rejectedIds.length - 2;
      if (i > start && tokens + n > budget) break;
      tokens += n;
      i++;
    }
    const sb = packForScoring(pairSequences(tp.slice(start, i)));
    const lp = tokenLogprobs(model, new Tape(model.backend, false), sb);
    const sums = sumPerSequence(lp.data, sb);
    for (let k = start; k < i; k++) {
      const j = 2 * (k - start);
      out.push({
        chosen_logps: sums[j]!, rejected_logps: sums[j + 1]!,
        chosen_tokens: tp[k]!.chosenIds.length, rejected_tokens: tp[k]!.rejectedIds.length,
      });
    }
    opts.onProgress?.(i, tp.length);
  }
  return out;
}
