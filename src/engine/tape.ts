// The reverse-mode autograd tape: ops run their forward eagerly and, while the tape records, push a closure that
// computes their input gradients. backward() seeds nothing itself: the caller sets the output's grad first, then
// the closures run in exact reverse order (llm.c's discipline), each accumulating into its inputs' grads.
import type { Backend } from "./kernels.js";
import type { Tensor } from "./tensor.js";

export class Tape {
  private readonly steps: { op: string; backward: () => void }[] = [];

  constructor(
    readonly backend: Backend,
    /** false: inference, nothing is recorded and no activation is kept for backward. */
    readonly recording = true,
  ) {}

  /** Whether an op producing from these inputs must record a backward step. */
  needs(...inputs: (Tensor | null | undefined)[]): boolean {
    return this.recording && inputs.some((t) => t?.requiresGrad === true);
  }

  record(op: string, backward: () => void): void {
    this.steps.push({ op, backward });
  }

  /** The ops recorded so far, in forward order (for tests and profiling). */
  ops(): string[] {
    return this.steps.map((s) => s.op);
  }

  /** Runs every recorded backward in reverse order, then forgets them. */
  backward(): void {
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i]!.backward();
    this.steps.length = 0;
  }
}
