// A tensor is a flat buffer with a shape and, once backward has touched it, a gradient buffer of the same size.
// No strides, views or broadcasting: ops take explicit strided views (`View`) where they need them.
import type { Backend, Buf } from "./kernels.js";

export class Tensor {
  /** d loss / d this, allocated (zeroed) on first use by a backward pass. */
  grad: Buf | null = null;

  constructor(
    readonly backend: Backend,
    readonly data: Buf,
    readonly shape: readonly number[],
    /** True for parameters and for anything computed from them while a tape records. */
    public requiresGrad = false,
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`tensor of shape [${shape}] needs ${n} elements, got ${data.length}`);
  }

  get size(): number {
    return this.data.length;
  }

  /** The gradient buffer, created zeroed when missing. */
  g(): Buf {
    return (this.grad ??= this.backend.alloc(this.data.length));
  }

  static zeros(backend: Backend, shape: readonly number[], requiresGrad = false): Tensor {
    return new Tensor(backend, backend.alloc(shape.reduce((a, b) => a * b, 1)), shape, requiresGrad);
  }
}

/** Rows of width `ld` inside a tensor, starting at element `off`: how q, k, v are cut out of a fused qkv buffer. */
export interface View {
  t: Tensor;
  off: number;
  ld: number;
}

/** A whole 2-D tensor as a view. */
export function whole(t: Tensor): View {
  return { t, off: 0, ld: t.shape[t.shape.length - 1]! };
}
