// layernorm: out (N, C) = (x - mean) / sqrt(var + eps) * w + b over each row (biased variance, as PyTorch).
import type { Tape } from "../tape.js";
import { Tensor } from "../tensor.js";

export function layernorm(tape: Tape, x: Tensor, w: Tensor, b: Tensor | null, eps: number): Tensor {
  const k = tape.backend.kernels;
  const C = w.size, N = x.size / C;
  const out = Tensor.zeros(tape.backend, [N, C]); // (N, C)
  const mean = tape.backend.alloc(N), rstd = tape.backend.alloc(N); // (N)
  k.layernormForward(out.data, mean, rstd, x.data, w.data, b ? b.data : null, N, C, eps);
  if (tape.needs(x, w, b)) {
    out.requiresGrad = true;
    tape.record("layernorm", () => {
      if (!out.grad) return;
      // The kernel computes all three gradients at once; buffers of inputs that need none are scratch.
      const dx = x.requiresGrad ? x.g() : tape.backend.alloc(x.size);
      const dw = w.requiresGrad ? w.g() : tape.backend.alloc(C);
      const db = b ? (b.requiresGrad ? b.g() : tape.backend.alloc(C)) : null;
      k.layernormBackward(dx, dw, db, out.grad, x.data, w.data, mean, rstd, N, C);
    });
  }
  return out;
}
