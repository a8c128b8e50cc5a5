// rope: rotary position embedding, Hugging Face's rotate-half convention. For head vector x of size D and
// i < D/2: out[i] = x[i] cos(p f_i) - x[i + D/2] sin(p f_i); out[i + D/2] = x[i + D/2] cos(p f_i) + x[i] sin(p f_i),
// with f_i the inverse frequencies. A rotation: its backward is the inverse rotation (sin -> -sin).
import type { Buf } from "../kernels.js";
import type { Backend } from "../kernels.js";
import type { Tape } from "../tape.js";
import { Tensor } from "../tensor.js";

/** cos and sin of p f_i for positions p < maxPos, each (maxPos, D/2). */
export interface RopeTable {
  cos: Buf;
  sin: Buf;
  maxPos: number;
  half: number;
}

/** Inverse frequencies f_i = theta^(-2i/D), i < D/2 (before any rope_scaling). */
export function ropeInvFreq(D: number, theta: number): number[] {
  return Array.from({ length: D / 2 }, (_, i) => 1 / theta ** ((2 * i) / D));
}

export function ropeTable(backend: Backend, invFreq: readonly number[], maxPos: number): RopeTable {
  const half = invFreq.length;
  const cos = backend.alloc(maxPos * half), sin = backend.alloc(maxPos * half);
  for (let p = 0; p < maxPos; p++)
    for (let i = 0; i < half; i++) {
      const a = p * invFreq[i]!;
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  return { cos, sin, maxPos, half };
}

/** x: (N, heads * D) contiguous; pos: (N) position of each token within its sequence. */
export function rope(tape: Tape, x: Tensor, heads: number, D: number, table: RopeTable, pos: Int32Array): Tensor {
  const k = tape.backend.kernels;
  const N = pos.length, W = heads * D;
  if (x.size !== N * W) throw new Error(`rope: expected ${N}x${W} elements, got ${x.size}`);
  if (table.half * 2 !== D) throw new Error(`rope: table for head size ${table.half * 2}, got ${D}`);
  const out = Tensor.zeros(tape.backend, [N, W]); // (N, heads * D)
  k.rope(out.data, W, x.data, W, table.cos, table.sin, pos, N, heads, D, 1);
  if (tape.needs(x)) {
    out.requiresGrad = true;
    tape.record("rope", () => {
      if (!out.grad) return;
      const tmp = tape.backend.alloc(N * W);
      k.rope(tmp, W, out.grad, W, table.cos, table.sin, pos, N, heads, D, -1);
      k.axpy(x.g(), tmp, 1, N * W);
    });
  }
  return out;
}
