// embedding: out (N, C) = W[ids] for W (V, C). Backward scatter-adds rows into dW (ids may repeat).
import type { Tape } from "../tape.js";
import { Tensor } from "../tensor.js";

export function embedding(tape: Tape, ids: Int32Array, W: Tensor): Tensor {
  const k = tape.backend.kernels;
  const C = W.shape[1]!, N = ids.length;
  const out = Tensor.zeros(tape.backend, [N, C]); // (N, C)
  k.embeddingForward(out.data, ids, W.data, N, C, false);
  if (tape.needs(W)) {
    out.requiresGrad = true;
    tape.record("embedding", () => {
      if (out.grad) k.embeddingBackward(W.g(), out.grad, ids, N, C);
    });
  }
  return out;
}
