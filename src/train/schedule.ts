// Learning-rate schedules with Hugging Face semantics (transformers.optimization get_*_schedule_with_warmup):
// the rate for optimizer step s (0-based) is lr * factor(s); warmup rises linearly from 0 over `warmup` steps.
//   constant:              1
//   constant_with_warmup:  s < w ? s / w : 1
//   linear:                s < w ? s / w : max(0, (T - s) / (T - w))
//   cosine:                s < w ? s / w : max(0, 0.5 (1 + cos(pi (s - w) / (T - w))))
export type SchedulerType = "constant" | "constant_with_warmup" | "linear" | "cosine";

export const SCHEDULERS: { [K in SchedulerType]: (s: number, warmup: number, total: number) => number } = {
  constant: () => 1,
  constant_with_warmup: (s, w) => (s < w ? s / Math.max(1, w) : 1),
  linear: (s, w, T) => (s < w ? s / Math.max(1, w) : Math.max(0, (T - s) / Math.max(1, T - w))),
  cosine: (s, w, T) => {
    if (s < w) return s / Math.max(1, w);
    const progress = (s - w) / Math.max(1, T - w);
    return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
  },
};

/** Warmup steps as HF computes them: warmup_steps if > 0, else ceil(warmup_ratio * total). */
export function warmupSteps(total: number, warmupRatio: number, warmupStepsGiven: number): number {
  return warmupStepsGiven > 0 ? warmupStepsGiven : Math.ceil(warmupRatio * total);
}

export function learningRate(type: SchedulerType, base: number, step: number, warmup: number, total: number): number {
  return base * SCHEDULERS[type](step, warmup, total);
}
