// Truncates a pair's completions before log-probs are taken ("poet": both cut to the shorter's length).
// Pure; does not touch the prompt or limit total sequence length.

import type { EncodedPair, Truncation } from "./types.js";

/**
 * `"none"`: the pair itself. `"poet"`: with k = min(|chosen|, |rejected|), both completions keep their
 * first k tokens, so they are equally long; the shorter keeps all its tokens (its EOS included) and the
 * prompt is untouched. Returns a new pair; never mutates. Completions are never emptied (encode.ts
 * rejects empty ones, which would be a bug here).
 */
export function truncatePair(pair: EncodedPair, mode: Truncation): EncodedPair {
  switch (mode) {
    case "none":
      return pair;
    case "poet": {
      const k = Math.min(pair.chosenIds.length, pair.rejectedIds.length);
      if (k === 0) throw new Error(`empty completion in the pair from ${pair.source.file}:${pair.source.line}`);
      return { ...pair, chosenIds: pair.chosenIds.slice(0, k), rejectedIds: pair.rejectedIds.slice(0, k) };
    }
    default: {
      const unknown: never = mode;
      throw new Error(`unknown truncation mode ${String(unknown)}`);
    }
  }
}
