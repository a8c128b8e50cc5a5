// Whole-model gradient helpers shared by the trainers (preference, language-model, reward model): the global L2
// norm that clipping and the `grad_norm` metric use, and an in-place scale of every gradient. No clipping policy here.
import type { CausalLM } from "../models/model.js";

/** sqrt(sum of squares) over every parameter's gradient, accumulated in float64. */
export function globalGradNorm(model: CausalLM): number {
  let s = 0;
  for (const p of model.params.values()) {
    const g = p.t.grad;
    if (g) for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  }
  return Math.sqrt(s);
}

/** g <- k * g for every parameter's gradient (on the backend: g + (k - 1) * g). */
export function scaleGrads(model: CausalLM, k: number): void {
  for (const p of model.params.values()) {
    const g = p.t.grad;
    if (g) model.backend.kernels.axpy(g, g, k - 1, g.length);
  }
}
