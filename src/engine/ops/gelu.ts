// gelu, tanh form (GPT-2's "gelu_new"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
import type { Tape } from "../tape.js";
import { Tensor } from "../tensor.js";

export function gelu(tape: Tape, x: Tensor): Tensor {
  const k = tape.backend.kernels;
  const out = Tensor.zeros(tape.backend, x.shape);
  k.geluForward(out.data, x.data, x.size);
  if (tape.needs(x)) {
    out.requiresGrad = true;
    tape.record("gelu", () => {
      if (out.grad) k.geluBackward(x.g(), out.grad, x.data, x.size);
    });
  }
  return out;
}
