// linear: y (N, O) = x (N, I) W^T + b, with W (O, I) in PyTorch's nn.Linear layout. GPT-2's Conv1D weights are
// transposed into this layout when loaded.
import type { Tape } from "../tape.js";
import { Tensor } from "../tensor.js";

export function linear(tape: Tape, x: Tensor, W: Tensor, b: Tensor | null): Tensor {
  const k = tape.backend.kernels;
  const [O, I] = W.shape as [number, number];
  const N = x.size / I;
  if (!Number.isInteger(N)) throw new Error(`linear: input of ${x.size} elements is not a multiple of ${I}`);
  const y = Tensor.zeros(tape.backend, [N, O]); // (N, O)
  if (b) k.addBias(y.data, b.data, N, O, O);
  k.gemm(false, true, N, O, I, 1, x.data, I, W.data, I, b ? 1 : 0, y.data, O);
  if (tape.needs(x, W, b)) {
    y.requiresGrad = true;
    tape.record("linear", () => {
      const dy = y.grad; // (N, O)
      if (!dy) return;
      if (x.requiresGrad) k.gemm(false, false, N, I, O, 1, dy, O, W.data, I, 1, x.g(), I); // dx += dy W
      if (W.requiresGrad) k.gemm(true, false, O, I, N, 1, dy, O, x.data, I, 1, W.g(), I); // dW += dy^T x
      if (b?.requiresGrad) k.biasBackward(b.g(), dy, N, O, O); // db += sum_n dy
    });
  }
  return y;
}
