// add: out = a + b, same shapes (residual connections). d/da = d/db = 1.
import type { Tape } from "../tape.js";
import { Tensor } from "../tensor.js";

export function add(tape: Tape, a: Tensor, b: Tensor): Tensor {
  const k = tape.backend.kernels;
  if (a.size !== b.size) throw new Error(`add: sizes ${a.size} and ${b.size} differ`);
  const out = Tensor.zeros(tape.backend, a.shape);
  k.add(out.data, a.data, b.data, a.size);
  if (tape.needs(a, b)) {
    out.requiresGrad = true;
    tape.record("add", () => {
      if (!out.grad) return;
      if (a.requiresGrad) k.axpy(a.g(), out.grad, 1, a.size);
      if (b.requiresGrad) k.axpy(b.g(), out.grad, 1, b.size);
    });
  }
  return out;
}
