// swiglu: the gated MLP activation of Llama-style models, out (N, I) = silu(gate) * up, silu(g) = g sigmoid(g).
import type { Tape } from "../tape.js";
import { Tensor } from "../tensor.js";

export function swiglu(tape: Tape, gate: Tensor, up: Tensor): Tensor {
  const k = tape.backend.kernels;
  const I = gate.shape[gate.shape.length - 1]!, N = gate.size / I;
  const out = Tensor.zeros(tape.backend, [N, I]); // (N, I)
  k.swigluForward(out.data, gate.data, up.data, N, I, I, I);
  if (tape.needs(gate, up)) {
    out.requiresGrad = true;
    tape.record("swiglu", () => {
      if (!out.grad) return;
      const dg = gate.requiresGrad ? gate.g() : tape.backend.alloc(gate.size);
      const du = up.requiresGrad ? up.g() : tape.backend.alloc(up.size);
      k.swigluBackward(dg, du, out.grad, gate.data, up.data, N, I, I, I);
    });
  }
  return out;
}
