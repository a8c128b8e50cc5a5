// gatherRows: out (M, C) = x[idx] for x (N, C). Picks the positions whose next token is scored, so that the final
// norm and the LM head run on those rows only. Backward scatter-adds.
import type { Tape } from "../tape.js";
import { Tensor } from "../tensor.js";

export function gatherRows(tape: Tape, x: Tensor, idx: Int32Array): Tensor {
  const k = tape.backend.kernels;
  const C = x.shape[x.shape.length - 1]!, M = idx.length;
  const out = Tensor.zeros(tape.backend, [M, C]); // (M, C)
  k.gatherRows(out.data, x.data, idx, M, C);
  if (tape.needs(x)) {
    out.requiresGrad = true;
    tape.record("gatherRows", () => {
      if (out.grad) k.scatterAddRows(x.g(), out.grad, idx, M, C);
    });
  }
  return out;
}
