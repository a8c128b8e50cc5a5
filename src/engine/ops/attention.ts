// attention: causal self-attention over sequences packed back to back (no padding: each sequence attends only
// within itself, cost sum T^2 rather than batch * max T^2), with grouped key/value heads (G divides H) and an
// optional sliding window. softmax(q k^T * scale) v per head; q, k, v may be strided views of one fused buffer.
import type { Tape } from "../tape.js";
import { Tensor, type View } from "../tensor.js";

/** Sequence boundaries of a packed batch: sequence s holds tokens cu[s] .. cu[s+1]-1. */
export interface Segments {
  cu: Int32Array; // (nseq + 1)
  nseq: number;
}

export interface AttentionShape {
  H: number; // query heads
  G: number; // key/value heads
  D: number; // head size
  scale: number; // usually 1/sqrt(D)
  window: number; // 0: full causal; else keys within the last `window` positions
}

export function attention(tape: Tape, q: View, k: View, v: View, seg: Segments, s: AttentionShape): Tensor {
  const kr = tape.backend.kernels;
  const N = seg.cu[seg.nseq]!;
  if (s.H % s.G !== 0) throw new Error(`attention: ${s.H} query heads are not a multiple of ${s.G} KV heads`);
  const out = Tensor.zeros(tape.backend, [N, s.H * s.D]); // (N, H * D)
  const lse = tape.backend.alloc(N * s.H); // (N, H)
  const qd = q.t.data.subarray(q.off), kd = k.t.data.subarray(k.off), vd = v.t.data.subarray(v.off);
  kr.attentionForward(out.data, lse, qd, q.ld, kd, k.ld, vd, v.ld, seg.cu, seg.nseq, s.H, s.G, s.D, s.scale, s.window);
  if (tape.needs(q.t, k.t, v.t)) {
    out.requiresGrad = true;
    tape.record("attention", () => {
      if (!out.grad) return;
      const grad = (x: View) => (x.t.requiresGrad ? x.t.g() : tape.backend.alloc(x.t.size)).subarray(x.off);
      // q, k, v may share one tensor (GPT-2's c_attn): g() then hands out the same buffer, as it must.
      const dq = grad(q), dk = grad(k), dv = grad(v);
      kr.attentionBackward(dq, dk, dv, out.grad, qd, q.ld, kd, k.ld, vd, v.ld, out.data, lse, seg.cu, seg.nseq,
        s.H, s.G, s.D, s.scale, s.window);
    });
  }
  return out;
}
