// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019) exactly as torch.optim.AdamW:
//   p -= lr wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// State is per parameter; gradients are read from each tensor's grad (missing grad: no update, as PyTorch).
import type { Buf } from "../engine/kernels.js";
import type { Tensor } from "../engine/tensor.js";

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export class AdamW {
  step = 0;
  readonly m = new Map<Tensor, Buf>();
  readonly v = new Map<Tensor, Buf>();

  constructor(
    readonly params: Tensor[],
    readonly config: AdamWConfig = ADAMW_DEFAULTS,
    /** Parameters exempt from weight decay (HF Trainer exempts biases and norm weights). */
    readonly noDecay: ReadonlySet<Tensor> = new Set(),
  ) {}

  /** One update with learning rate `lr` (the scheduler's current rate; default config.lr). */
  update(lr = this.config.lr): void {
    this.step++;
    const { beta1: b1, beta2: b2, eps, weightDecay: wd } = this.config;
    for (const p of this.params) {
      const g = p.grad;
      if (!g) continue;
      let m = this.m.get(p), v = this.v.get(p);
      if (!m || !v) {
        m = p.backend.alloc(p.size);
        v = p.backend.alloc(p.size);
        this.m.set(p, m);
        this.v.set(p, v);
      }
      p.backend.kernels.adamw(p.data, g, m, v, p.size, lr, b1, b2, eps, this.noDecay.has(p) ? 0 : wd, this.step);
    }
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad?.fill(0);
  }
}
