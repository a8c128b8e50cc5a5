// The kernel contract every backend implements: flat, llm.c-style functions over typed arrays (outputs first,
// then inputs, weights, sizes). Sizes and strides (`ld*`) are in elements, row-major. A strided view into a bigger
// buffer is passed as `buf.subarray(offset)` plus its row stride. Backward kernels accumulate (+=) into gradients.
//
// Shape legend: N tokens of all sequences packed back to back, C channels, H query heads, G key/value heads,
// D head size, V vocabulary, R rows of logits.

/** A float buffer: Float32Array on the native backend, Float32Array or Float64Array on the portable one. */
export type Buf = Float32Array | Float64Array;

export interface Kernels {
  /** C (M,N) = alpha op(A) op(B) + beta C, op = transpose when ta / tb. */
  gemm(ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Buf, lda: number,
    B: Buf, ldb: number, beta: number, C: Buf, ldc: number): void;
  /** out (N,C) = (x - mean) rstd w + b; mean, rstd (N) are saved for backward. b may be null. */
  layernormForward(out: Buf, mean: Buf, rstd: Buf, x: Buf, w: Buf, b: Buf | null, N: number, C: number, eps: number): void;
  layernormBackward(dx: Buf, dw: Buf, db: Buf | null, dy: Buf, x: Buf, w: Buf, mean: Buf, rstd: Buf, N: number, C: number): void;
  /** out (N,C) = x rstd w, rstd = 1/sqrt(mean(x^2) + eps) saved (N). */
  rmsnormForward(out: Buf, rstd: Buf, x: Buf, w: Buf, N: number, C: number, eps: number): void;
  rmsnormBackward(dx: Buf, dw: Buf, dy: Buf, x: Buf, w: Buf, rstd: Buf, N: number, C: number): void;
  /** Rotary embedding (rotate-half) of x (N, heads, D) rows at stride ldx into out at ldo; sign -1 inverts it. */
  rope(out: Buf, ldo: number, x: Buf, ldx: number, cos: Buf, sin: Buf, pos: Int32Array, N: number, heads: number,
    D: number, sign: number): void;
  /** Causal attention per packed sequence (cu: offsets, nseq+1). out (N,H,D) contiguous, lse (N,H). */
  attentionForward(out: Buf, lse: Buf, q: Buf, ldq: number, k: Buf, ldk: number, v: Buf, ldv: number,
    cu: Int32Array, nseq: number, H: number, G: number, D: number, scale: number, window: number): void;
  attentionBackward(dq: Buf, dk: Buf, dv: Buf, dout: Buf, q: Buf, ldq: number, k: Buf, ldk: number, v: Buf,
    ldv: number, out: Buf, lse: Buf, cu: Int32Array, nseq: number, H: number, G: number, D: number, scale: number,
    window: number): void;
  /** Decoding with a KV cache: one query token per sequence b (q row b at stride ldq) against the cached keys and
   *  values of that sequence, rows 0 .. lens[b]-1 at kc/vc + b * seqStride (row stride ldkv). out (B, H, D). */
  attentionCached(out: Buf, q: Buf, ldq: number, kc: Buf, vc: Buf, ldkv: number, seqStride: number, lens: Int32Array,
    B: number, H: number, G: number, D: number, scale: number, window: number): void;
  geluForward(out: Buf, x: Buf, n: number): void;
  geluBackward(dx: Buf, dy: Buf, x: Buf, n: number): void;
  /** out (N,I) = silu(gate) * up; gate and up rows at strides ldg, ldu. */
  swigluForward(out: Buf, gate: Buf, up: Buf, N: number, I: number, ldg: number, ldu: number): void;
  swigluBackward(dgate: Buf, dup: Buf, dout: Buf, gate: Buf, up: Buf, N: number, I: number, ldg: number, ldu: number): void;
  /** lse[r] = logsumexp(logits[r]); logp[r] = logits[r, targets[r]] - lse[r], over logits (R,V). */
  logsoftmaxGather(logp: Buf, lse: Buf, logits: Buf, targets: Int32Array, R: number, V: number): void;
  /** In place: logits (R,V) become dlogp[r] (onehot(targets[r]) - softmax(logits[r])). */
  logsoftmaxGatherBackward(logits: Buf, dlogp: Buf, lse: Buf, targets: Int32Array, R: number, V: number): void;
  /** out[n] (=|+=) W[ids[n]], rows of C. */
  embeddingForward(out: Buf, ids: Int32Array, W: Buf, N: number, C: number, accumulate: boolean): void;
  embeddingBackward(dW: Buf, dout: Buf, ids: Int32Array, N: number, C: number): void;
  /** y += alpha x */
  axpy(y: Buf, x: Buf, alpha: number, n: number): void;
  /** out = a + b */
  add(out: Buf, a: Buf, b: Buf, n: number): void;
  /** rows of out (N, C at stride ld) += bias */
  addBias(out: Buf, bias: Buf, N: number, C: number, ld: number): void;
  /** db += column sums of dy (N, C at stride ld) */
  biasBackward(db: Buf, dy: Buf, N: number, C: number, ld: number): void;
  /** dst[m] = src[idx[m]], rows of C */
  gatherRows(dst: Buf, src: Buf, idx: Int32Array, M: number, C: number): void;
  /** dst[idx[m]] += src[m], rows of C */
  scatterAddRows(dst: Buf, src: Buf, idx: Int32Array, M: number, C: number): void;
  /** One AdamW update of n weights at step t >= 1 (torch.optim.AdamW): w -= lr wd w; moments m, v updated in place;
   *  w -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps). */
  adamw(w: Buf, g: Buf, m: Buf, v: Buf, n: number, lr: number, b1: number, b2: number, eps: number, wd: number, t: number): void;
}

/** What `poet env` reports about a backend. */
export interface BackendInfo {
  backend: "native" | "portable";
  dtype: "float32" | "float64";
  threads: number;
  libraries: string[];
}

export interface Backend {
  readonly name: "native" | "portable";
  readonly dtype: "float32" | "float64";
  readonly kernels: Kernels;
  /** A zeroed buffer of n elements in this backend's dtype. */
  alloc(n: number): Buf;
  /** Copies (and converts) numbers into a buffer of this backend's dtype. */
  from(data: ArrayLike<number>): Buf;
  setThreads(n: number): void;
  info(): BackendInfo;
}
