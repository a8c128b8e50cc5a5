// rmsnorm (Llama, Qwen2, Mistral): out (N, C) = x / sqrt(mean(x^2) + eps) * w over each row.
import type { Tape } from "../tape.js";
import { Tensor } from "../tensor.js";

export function rmsnorm(tape: Tape, x: Tensor, w: Tensor, eps: number): Tensor {
  const k = tape.backend.kernels;
  const C = w.size, N = x.size / C;
  const out = Tensor.zeros(tape.backend, [N, C]); // (N, C)
  const rstd = tape.backend.alloc(N); // (N)
  k.rmsnormForward(out.data, rstd, x.data, w.data, N, C, eps);
  if (tape.needs(x, w)) {
    out.requiresGrad = true;
    tape.record("rmsnorm", () => {
      if (!out.grad) return;
      const dx = x.requiresGrad ? x.g() : tape.backend.alloc(x.size);
      const dw = w.requiresGrad ? w.g() : tape.backend.alloc(C);
      k.rmsnormBackward(dx, dw, out.grad, x.data, w.data, rstd, N, C);
    });
  }
  return out;
}
