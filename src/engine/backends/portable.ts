// The portable backend: every kernel in plain TypeScript, generic over Float32Array and Float64Array. It is the
// float64 ground truth of the finite-difference gradient checks and what runs where the native addon cannot be
// built. Written for clarity first; speed lives in native/.
import type { Backend, BackendInfo, Buf, Kernels } from "../kernels.js";

const GELU_C = Math.sqrt(2 / Math.PI);

const kernels: Kernels = {
  gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
    for (let i = 0; i < M; i++) {
      const c0 = i * ldc;
      for (let j = 0; j < N; j++) C[c0 + j] = beta === 0 ? 0 : beta * C[c0 + j]!;
    }
    for (let i = 0; i < M; i++) {
      const c0 = i * ldc;
      for (let p = 0; p < K; p++) {
        const a = alpha * (ta ? A[p * lda + i]! : A[i * lda + p]!);
        if (a === 0) continue;
        if (!tb) {
          const b0 = p * ldb;
          for (let j = 0; j < N; j++) C[c0 + j] = C[c0 + j]! + a * B[b0 + j]!;
        } else {
          for (let j = 0; j < N; j++) C[c0 + j] = C[c0 + j]! + a * B[j * ldb + p]!;
        }
      }
    }
  },

  layernormForward(out, mean, rstd, x, w, b, N, C, eps) {
    for (let n = 0; n < N; n++) {
      const o = n * C;
      let s = 0;
      for (let i = 0; i < C; i++) s += x[o + i]!;
      const m = s / C;
      let v = 0;
      for (let i = 0; i < C; i++) v += (x[o + i]! - m) ** 2;
      const r = 1 / Math.sqrt(v / C + eps);
      for (let i = 0; i < C; i++) out[o + i] = (x[o + i]! - m) * r * w[i]! + (b ? b[i]! : 0);
      mean[n] = m;
      rstd[n] = r;
    }
  },

  // dx += rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy w
  layernormBackward(dx, dw, db, dy, x, w, mean, rstd, N, C) {
    for (let n = 0; n < N; n++) {
      const o = n * C, m = mean[n]!, r = rstd[n]!;
      let s1 = 0, s2 = 0;
      for (let i = 0; i < C; i++) {
        const xh = (x[o + i]! - m) * r, g = dy[o + i]!;
        s1 += g * w[i]!;
        s2 += g * w[i]! * xh;
        dw[i] = dw[i]! + g * xh;
        if (db) db[i] = db[i]! + g;
      }
      s1 /= C;
      s2 /= C;
      for (let i = 0; i < C; i++) {
        const xh = (x[o + i]! - m) * r;
        dx[o + i] = dx[o + i]! + r * (dy[o + i]! * w[i]! - s1 - xh * s2);
      }
    }
  },

  rmsnormForward(out, rstd, x, w, N, C, eps) {
    for (let n = 0; n < N; n++) {
      const o = n * C;
      let s = 0;
      for (let i = 0; i < C; i++) s += x[o + i]! * x[o + i]!;
      const r = 1 / Math.sqrt(s / C + eps);
      for (let i = 0; i < C; i++) out[o + i] = x[o + i]! * r * w[i]!;
      rstd[n] = r;
    }
  },

  // dx += rstd (dy w - x rstd^2 mean(dy w x)); dw += dy x rstd
  rmsnormBackward(dx, dw, dy, x, w, rstd, N, C) {
    for (let n = 0; n < N; n++) {
      const o = n * C, r = rstd[n]!;
      let s = 0;
      for (let i = 0; i < C; i++) {
        s += dy[o + i]! * w[i]! * x[o + i]!;
        dw[i] = dw[i]! + dy[o + i]! * x[o + i]! * r;
      }
      const k = (s / C) * r * r;
      for (let i = 0; i < C; i++) dx[o + i] = dx[o + i]! + r * (dy[o + i]! * w[i]! - x[o + i]! * k);
    }
  },

  rope(out, ldo, x, ldx, cos, sin, pos, N, heads, D, sign) {
    const h2 = D / 2;
    for (let n = 0; n < N; n++) {
      const t = pos[n]! * h2;
      for (let h = 0; h < heads; h++) {
        const xi = n * ldx + h * D, oi = n * ldo + h * D;
        for (let i = 0; i < h2; i++) {
          const a = x[xi + i]!, b = x[xi + i + h2]!, c = cos[t + i]!, s = sign * sin[t + i]!;
          out[oi + i] = a * c - b * s;
          out[oi + i + h2] = b * c + a * s;
        }
      }
    }
  },

  attentionForward(out, lse, q, ldq, k, ldk, v, ldv, cu, nseq, H, G, D, scale, window) {
    const per = H / G;
    for (let s = 0; s < nseq; s++) {
      const t0 = cu[s]!, T = cu[s + 1]! - t0;
      const p = new Float64Array(T);
      for (let h = 0; h < H; h++) {
        const g = Math.floor(h / per);
        for (let i = 0; i < T; i++) {
          const j0 = window > 0 ? Math.max(0, i - window + 1) : 0;
          const qi = (t0 + i) * ldq + h * D;
          let m = -Infinity;
          for (let j = j0; j <= i; j++) {
            const kj = (t0 + j) * ldk + g * D;
            let dot = 0;
            for (let d = 0; d < D; d++) dot += q[qi + d]! * k[kj + d]!;
            p[j] = dot * scale;
            if (p[j]! > m) m = p[j]!;
          }
          let z = 0;
          for (let j = j0; j <= i; j++) z += Math.exp(p[j]! - m);
          const l = m + Math.log(z);
          lse[(t0 + i) * H + h] = l;
          const oi = (t0 + i) * H * D + h * D;
          for (let d = 0; d < D; d++) out[oi + d] = 0;
          for (let j = j0; j <= i; j++) {
            const pj = Math.exp(p[j]! - l), vj = (t0 + j) * ldv + g * D;
            for (let d = 0; d < D; d++) out[oi + d] = out[oi + d]! + pj * v[vj + d]!;
          }
        }
      }
    }
  },

  // dP = dO V^T; dS = P (dP - rowsum(dO O)); dQ += scale dS K; dK += scale dS^T Q; dV += P^T dO
  attentionBackward(dq, dk, dv, dout, q, ldq, k, ldk, v, ldv, out, lse, cu, nseq, H, G, D, scale, window) {
    const per = H / G;
    for (let s = 0; s < nseq; s++) {
      const t0 = cu[s]!, T = cu[s + 1]! - t0;
      for (let h = 0; h < H; h++) {
        const g = Math.floor(h / per);
        for (let i = 0; i < T; i++) {
          const j0 = window > 0 ? Math.max(0, i - window + 1) : 0;
          const qi = (t0 + i) * ldq + h * D, oi = (t0 + i) * H * D + h * D, l = lse[(t0 + i) * H + h]!;
          let Di = 0;
          for (let d = 0; d < D; d++) Di += dout[oi + d]! * out[oi + d]!;
          for (let j = j0; j <= i; j++) {
            const kj = (t0 + j) * ldk + g * D, vj = (t0 + j) * ldv + g * D;
            let dot = 0, dpd = 0;
            for (let d = 0; d < D; d++) {
              dot += q[qi + d]! * k[kj + d]!;
              dpd += dout[oi + d]! * v[vj + d]!;
            }
            const pij = Math.exp(dot * scale - l);
            const ds = pij * (dpd - Di);
            for (let d = 0; d < D; d++) {
              dq[qi + d] = dq[qi + d]! + scale * ds * k[kj + d]!;
              dk[kj + d] = dk[kj + d]! + scale * ds * q[qi + d]!;
              dv[vj + d] = dv[vj + d]! + pij * dout[oi + d]!;
            }
          }
        }
      }
    }
  },

  attentionCached(out, q, ldq, kc, vc, ldkv, seqStride, lens, B, H, G, D, scale, window) {
    const per = H / G;
    for (let b = 0; b < B; b++) {
      const L = lens[b]!, j0 = window > 0 ? Math.max(0, L - window) : 0;
      const s = new Float64Array(L);
      for (let h = 0; h < H; h++) {
        const g = Math.floor(h / per), qi = b * ldq + h * D, oi = b * H * D + h * D;
        let m = -Infinity;
        for (let j = j0; j < L; j++) {
          const kj = b * seqStride + j * ldkv + g * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qi + d]! * kc[kj + d]!;
          s[j] = dot * scale;
          if (s[j]! > m) m = s[j]!;
        }
        let z = 0;
        for (let j = j0; j < L; j++) z += (s[j] = Math.exp(s[j]! - m));
        for (let d = 0; d < D; d++) out[oi + d] = 0;
        for (let j = j0; j < L; j++) {
          const p = s[j]! / z, vj = b * seqStride + j * ldkv + g * D;
          for (let d = 0; d < D; d++) out[oi + d] = out[oi + d]! + p * vc[vj + d]!;
        }
      }
    }
  },

  geluForward(out, x, n) {
    for (let i = 0; i < n; i++) {
      const a = x[i]!;
      out[i] = 0.5 * a * (1 + Math.tanh(GELU_C * (a + 0.044715 * a * a * a)));
    }
  },

  // d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 0.044715 x^2)
  geluBackward(dx, dy, x, n) {
    for (let i = 0; i < n; i++) {
      const a = x[i]!, t = Math.tanh(GELU_C * (a + 0.044715 * a * a * a));
      dx[i] = dx[i]! + dy[i]! * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * a * a));
    }
  },

  swigluForward(out, gate, up, N, I, ldg, ldu) {
    for (let n = 0; n < N; n++)
      for (let i = 0; i < I; i++) {
        const g = gate[n * ldg + i]!;
        out[n * I + i] = (g / (1 + Math.exp(-g))) * up[n * ldu + i]!;
      }
  },

  // d silu(g)/dg = sig(g) (1 + g (1 - sig(g)))
  swigluBackward(dgate, dup, dout, gate, up, N, I, ldg, ldu) {
    for (let n = 0; n < N; n++)
      for (let i = 0; i < I; i++) {
        const g = gate[n * ldg + i]!, u = up[n * ldu + i]!, d = dout[n * I + i]!;
        const sg = 1 / (1 + Math.exp(-g));
        dgate[n * ldg + i] = dgate[n * ldg + i]! + d * u * sg * (1 + g * (1 - sg));
        dup[n * ldu + i] = dup[n * ldu + i]! + d * g * sg;
      }
  },

  logsoftmaxGather(logp, lse, logits, targets, R, V) {
    for (let r = 0; r < R; r++) {
      const o = r * V;
      let m = -Infinity;
      for (let j = 0; j < V; j++) if (logits[o + j]! > m) m = logits[o + j]!;
      let s = 0;
      for (let j = 0; j < V; j++) s += Math.exp(logits[o + j]! - m);
      const l = m + Math.log(s);
      lse[r] = l;
      logp[r] = logits[o + targets[r]!]! - l;
    }
  },

  logsoftmaxGatherBackward(logits, dlogp, lse, targets, R, V) {
    for (let r = 0; r < R; r++) {
      const o = r * V, l = lse[r]!, g = dlogp[r]!;
      for (let j = 0; j < V; j++) logits[o + j] = -g * Math.exp(logits[o + j]! - l);
      logits[o + targets[r]!] = logits[o + targets[r]!]! + g;
    }
  },

  embeddingForward(out, ids, W, N, C, accumulate) {
    for (let n = 0; n < N; n++) {
      const w = ids[n]! * C;
      for (let i = 0; i < C; i++) out[n * C + i] = (accumulate ? out[n * C + i]! : 0) + W[w + i]!;
    }
  },

  embeddingBackward(dW, dout, ids, N, C) {
    for (let n = 0; n < N; n++) {
      const w = ids[n]! * C;
      for (let i = 0; i < C; i++) dW[w + i] = dW[w + i]! + dout[n * C + i]!;
    }
  },

  axpy(y, x, alpha, n) {
    for (let i = 0; i < n; i++) y[i] = y[i]! + alpha * x[i]!;
  },

  add(out, a, b, n) {
    for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
  },

  addBias(out, bias, N, C, ld) {
    for (let n = 0; n < N; n++) for (let i = 0; i < C; i++) out[n * ld + i] = out[n * ld + i]! + bias[i]!;
  },

  biasBackward(db, dy, N, C, ld) {
    for (let n = 0; n < N; n++) for (let i = 0; i < C; i++) db[i] = db[i]! + dy[n * ld + i]!;
  },

  gatherRows(dst, src, idx, M, C) {
    for (let m = 0; m < M; m++) dst.set(src.subarray(idx[m]! * C, idx[m]! * C + C), m * C);
  },

  adamw(w, g, m, v, n, lr, b1, b2, eps, wd, t) {
    const bc1 = 1 - b1 ** t, bc2 = Math.sqrt(1 - b2 ** t), step = lr / bc1, decay = 1 - lr * wd;
    const round = w instanceof Float32Array ? Math.fround : (x: number) => x;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const mi = round(b1 * m[i]! + (1 - b1) * gi), vi = round(b2 * v[i]! + (1 - b2) * gi * gi);
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i]! * decay - (step * mi) / (Math.sqrt(vi) / bc2 + eps);
    }
  },

  scatterAddRows(dst, src, idx, M, C) {
    for (let m = 0; m < M; m++) {
      const o = idx[m]! * C;
      for (let i = 0; i < C; i++) dst[o + i] = dst[o + i]! + src[m * C + i]!;
    }
  },
};

/** The portable backend in float32 (default) or float64 (gradient checks, references). */
export function portableBackend(dtype: "float32" | "float64" = "float32"): Backend {
  const Arr = dtype === "float64" ? Float64Array : Float32Array;
  return {
    name: "portable",
    dtype,
    kernels,
    alloc: (n: number): Buf => new Arr(n),
    from: (data: ArrayLike<number>): Buf => Arr.from(data),
    setThreads: () => {},
    info: (): BackendInfo => ({ backend: "portable", dtype, threads: 1, libraries: ["none (TypeScript)"] }),
  };
}
