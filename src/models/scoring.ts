// Scoring completions: pack (prompt, completion) sequences back to back and compute the log-prob of every
// completion token given what precedes it. Only rows that predict a completion token go through the final norm
// and the LM head, and the last token of each sequence is never fed (nothing after it is scored).
import type { EncodedPair } from "../data/types.js";
import { ops } from "../engine/ops/index.js";
import type { Tape } from "../engine/tape.js";
import type { Tensor } from "../engine/tensor.js";
import type { CausalLM, PackedBatch } from "./model.js";

export interface ScoredSequence {
  prompt: readonly number[];
  completion: readonly number[];
}

export interface ScoringBatch {
  batch: PackedBatch;
  rows: Int32Array; // (M) packed positions whose next token is scored
  targets: Int32Array; // (M) the scored tokens
  seqOfRow: Int32Array; // (M) which input sequence each scored row belongs to
  nseq: number;
}

/** The two sequences of each pair, chosen then rejected: sequence 2i is pair i's chosen, 2i+1 its rejected. */
export function pairSequences(pairs: readonly EncodedPair[]): ScoredSequence[] {
  return pairs.flatMap((p) => [{ prompt: p.promptIds, completion: p.chosenIds }, { prompt: p.promptIds, completion: p.rejectedIds }]);
}

/** Packs sequences for scoring. Each needs a non-empty prompt (the first completion token is predicted from it). */
export function packForScoring(seqs: readonly ScoredSequence[]): ScoringBatch {
  let N = 0, M = 0;
  for (const s of seqs) {
    if (s.prompt.length === 0) throw new Error("packForScoring: empty prompt");
    N += s.prompt.length + s.completion.length - 1;
    M += s.completion.length;
  }
  const ids = new Int32Array(N), pos = new Int32Array(N), cu = new Int32Array(seqs.length + 1);
  const rows = new Int32Array(M), targets = new Int32Array(M), seqOfRow = new Int32Array(M);
  let n = 0, m = 0;
  seqs.forEach((s, si) => {
    const P = s.prompt.length, T = P + s.completion.length - 1;
    for (let t = 0; t < T; t++) {
      ids[n + t] = t < P ? s.prompt[t]! : s.completion[t - P]!;
      pos[n + t] = t;
    }
    for (let j = 0; j < s.completion.length; j++) {
      rows[m] = n + P - 1 + j;
      targets[m] = s.completion[j]!;
      seqOfRow[m++] = si;
    }
    n += T;
    cu[si + 1] = n;
  });
  return { batch: { ids, pos, seg: { cu, nseq: seqs.length } }, rows, targets, seqOfRow, nseq: seqs.length };
}

/** Per-token log-probs of the scored rows: (M). */
export function tokenLogprobs(model: CausalLM, tape: Tape, sb: ScoringBatch): Tensor {
  const h = model.hidden(tape, sb.batch); // (N, C)
  const hr = model.finalNorm(tape, ops.gatherRows(tape, h, sb.rows)); // (M, C)
  return ops.tokenLogprobs(tape, hr, model.head(), sb.targets); // (M)
}

/** Full logits (N, V) of a packed batch (for parity tests and generation). */
export function logits(model: CausalLM, tape: Tape, batch: PackedBatch): Tensor {
  return ops.linear(tape, model.finalNorm(tape, model.hidden(tape, batch)), model.head(), null);
}

/** Sums token log-probs per sequence, in float64. */
export function sumPerSequence(tokenLogp: ArrayLike<number>, sb: ScoringBatch): Float64Array {
  const out = new Float64Array(sb.nseq);
  for (let m = 0; m < sb.seqOfRow.length; m++) {
    const s = sb.seqOfRow[m]!;
    out[s] = out[s]! + tokenLogp[m]!;
  }
  return out;
}
