// tokenLogprobs: the LM head fused with log-softmax and gather. For hidden rows h (M, C), head W (V, C) and
// targets t (M): logp[m] = (h W^T)[m, t[m]] - logsumexp_v (h W^T)[m, v]. Logits exist only a chunk of rows at a
// time (never (M, V) at once) and are recomputed in backward: d logits = dlogp (onehot(t) - softmax).
import type { Tape } from "../tape.js";
import { Tensor } from "../tensor.js";

/** Rows per chunk: about 4M logits (16 MB in float32) at a time. */
function chunkRows(V: number): number {
  return Math.max(1, Math.floor((1 << 22) / V));
}

export function tokenLogprobs(tape: Tape, h: Tensor, W: Tensor, targets: Int32Array): Tensor {
  const k = tape.backend.kernels;
  const [V, C] = W.shape as [number, number];
  const M = targets.length;
  if (h.size !== M * C) throw new Error(`tokenLogprobs: expected ${M}x${C} hidden rows, got ${h.size}`);
  const logp = Tensor.zeros(tape.backend, [M]); // (M)
  const lse = tape.backend.alloc(M); // (M)
  const step = chunkRows(V);
  const logits = tape.backend.alloc(Math.min(step, M) * V); // (chunk, V)
  for (let r0 = 0; r0 < M; r0 += step) {
    const R = Math.min(step, M - r0);
    k.gemm(false, true, R, V, C, 1, h.data.subarray(r0 * C), C, W.data, C, 0, logits, V);
    k.logsoftmaxGather(logp.data.subarray(r0), lse.subarray(r0), logits, targets.subarray(r0), R, V);
  }
  if (tape.needs(h, W)) {
    logp.requiresGrad = true;
    tape.record("tokenLogprobs", () => {
      if (!logp.grad) return;
      for (let r0 = 0; r0 < M; r0 += step) {
        const R = Math.min(step, M - r0);
        const hc = h.data.subarray(r0 * C); // (R, C)
        k.gemm(false, true, R, V, C, 1, hc, C, W.data, C, 0, logits, V);
        k.logsoftmaxGatherBackward(logits, logp.grad.subarray(r0), lse.subarray(r0), targets.subarray(r0), R, V);
        if (h.requiresGrad) k.gemm(false, false, R, C, V, 1, logits, V, W.data, C, 1, h.g().subarray(r0 * C), C);
        if (W.requiresGrad) k.gemm(true, false, V, C, R, 1, logits, V, hc, C, 1, W.g(), C);
      }
    });
  }
  return logp;
}
