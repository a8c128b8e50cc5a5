// The hot kernels of poet's native backend, in plain C++ over float32 buffers: GEMM (OpenBLAS), normalisation,
// variable-length causal attention, activations and the log-softmax-gather of the LM head. No autograd and no
// JavaScript here: argument unpacking lives in addon.cc, the tape and shapes in src/engine/.
//
// Shape legend: N tokens (all sequences packed back to back), C channels, H query heads, G key/value heads,
// D head size, T one sequence's length, V vocabulary. Row-major everywhere; `ld*` are row strides in elements.
#include "kernels.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "blas.h"

#ifdef POET_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

#if defined(__AVX512F__)
#include <immintrin.h>
// glibc's libmvec 16-lane expf (max error ~1 ulp). Declared by hand: math.h only declares it under -ffast-math,
// which we do not want elsewhere (NaN checks must keep working).
extern "C" __m512 _ZGVeN16v_expf(__m512);
#endif

namespace poet {

// y[i] = exp(x[i] - sub) (in place allowed); returns the sum of the y[i].
static inline float exp_sub(float* y, const float* x, float sub, int64_t n) {
  int64_t i = 0;
  float total = 0.0f;
#if defined(__AVX512F__)
  const __m512 s = _mm512_set1_ps(sub);
  __m512 acc = _mm512_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    const __m512 e = _ZGVeN16v_expf(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
    _mm512_storeu_ps(y + i, e);
    acc = _mm512_add_ps(acc, e);
  }
  if (i < n) {
    const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
    const __m512 e = _mm512_maskz_mov_ps(m, _ZGVeN16v_expf(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s)));
    _mm512_mask_storeu_ps(y + i, m, e);
    acc = _mm512_add_ps(acc, e);
    i = n;
  }
  total = _mm512_reduce_add_ps(acc);
#endif
  for (; i < n; i++) {
    y[i] = std::exp(x[i] - sub);
    total += y[i];
  }
  return total;
}

static inline bool big(int64_t n) { return n >= 16384; }

// With the pthread build of OpenBLAS, GEMMs must not be called from several of our threads at once.
#ifdef POET_BLAS_openmp
static const bool kParallelGemmCalls = true;
#else
static const bool kParallelGemmCalls = false;
#endif

// The small GEMMs inside attention run on OpenBLAS from several OpenMP threads at once (it then runs each on the
// calling thread). The big ones of linear layers and the LM head go to `gemm`, which prefers oneDNN: measured on
// this machine's transformer shapes it is 5-20% faster than OpenBLAS (see README "Engine choices").
static void blas_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                      const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K,
              alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

#ifdef POET_HAVE_DNNL
static bool g_use_dnnl = true;
#else
static bool g_use_dnnl = false;
#endif

bool set_gemm_library(bool dnnl) {
#ifdef POET_HAVE_DNNL
  g_use_dnnl = dnnl;
#else
  (void)dnnl;
#endif
  return g_use_dnnl;
}

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
#ifdef POET_HAVE_DNNL
  if (g_use_dnnl) {
    dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#endif
  blas_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// ---------------------------------------------------------------------------------------------------------------
// LayerNorm: out = (x - mean) * rstd * w + b, per row of C. mean, rstd: (N)
void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* w, const float* b,
                       int64_t N, int64_t C, float eps) {
#pragma omp parallel for if (big(N * C))
  for (int64_t n = 0; n < N; n++) {
    const float* xr = x + n * C;
    double s = 0;
    for (int64_t i = 0; i < C; i++) s += xr[i];
    const float m = (float)(s / C);
    double v = 0;
    for (int64_t i = 0; i < C; i++) {
      const float d = xr[i] - m;
      v += (double)d * d;
    }
    const float r = 1.0f / std::sqrt((float)(v / C) + eps);
    float* o = out + n * C;
    for (int64_t i = 0; i < C; i++) o[i] = (xr[i] - m) * r * w[i] + (b ? b[i] : 0.0f);
    mean[n] = m;
    rstd[n] = r;
  }
}

// dx += rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dy * w; dw += sum dy * xhat; db += sum dy
void layernorm_backward(float* dx, float* dw, float* db, const float* dy, const float* x, const float* w,
                        const float* mean, const float* rstd, int64_t N, int64_t C) {
  const int nt = big(N * C) ? omp_get_max_threads() : 1;
  std::vector<float> acc((size_t)nt * 2 * C, 0.0f);
#pragma omp parallel num_threads(nt)
  {
    float* adw = acc.data() + (size_t)omp_get_thread_num() * 2 * C;
    float* adb = adw + C;
#pragma omp for
    for (int64_t n = 0; n < N; n++) {
      const float* xr = x + n * C;
      const float* g = dy + n * C;
      const float m = mean[n], r = rstd[n];
      float s1 = 0, s2 = 0;
      for (int64_t i = 0; i < C; i++) {
        const float xh = (xr[i] - m) * r;
        const float dxh = g[i] * w[i];
        s1 += dxh;
        s2 += dxh * xh;
        adw[i] += g[i] * xh;
        adb[i] += g[i];
      }
      s1 /= C;
      s2 /= C;
      float* d = dx + n * C;
      for (int64_t i = 0; i < C; i++) {
        const float xh = (xr[i] - m) * r;
        d[i] += r * (g[i] * w[i] - s1 - xh * s2);
      }
    }
  }
  for (int t = 0; t < nt; t++) {
    const float* adw = acc.data() + (size_t)t * 2 * C;
    for (int64_t i = 0; i < C; i++) {
      dw[i] += adw[i];
      if (db) db[i] += adw[C + i];
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// RMSNorm (Llama): out = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps). rstd: (N)
void rmsnorm_forward(float* out, float* rstd, const float* x, const float* w, int64_t N, int64_t C, float eps) {
#pragma omp parallel for if (big(N * C))
  for (int64_t n = 0; n < N; n++) {
    const float* xr = x + n * C;
    double s = 0;
    for (int64_t i = 0; i < C; i++) s += (double)xr[i] * xr[i];
    const float r = 1.0f / std::sqrt((float)(s / C) + eps);
    float* o = out + n * C;
    for (int64_t i = 0; i < C; i++) o[i] = xr[i] * r * w[i];
    rstd[n] = r;
  }
}

// dx += rstd * (dy*w - x * rstd^2 * mean(dy*w*x)); dw += sum dy * x * rstd
void rmsnorm_backward(float* dx, float* dw, const float* dy, const float* x, const float* w, const float* rstd,
                      int64_t N, int64_t C) {
  const int nt = big(N * C) ? omp_get_max_threads() : 1;
  std::vector<float> acc((size_t)nt * C, 0.0f);
#pragma omp parallel num_threads(nt)
  {
    float* adw = acc.data() + (size_t)omp_get_thread_num() * C;
#pragma omp for
    for (int64_t n = 0; n < N; n++) {
      const float* xr = x + n * C;
      const float* g = dy + n * C;
      const float r = rstd[n];
      float s = 0;
      for (int64_t i = 0; i < C; i++) {
        s += g[i] * w[i] * xr[i];
        adw[i] += g[i] * xr[i] * r;
      }
      const float k = s / C * r * r;
      float* d = dx + n * C;
      for (int64_t i = 0; i < C; i++) d[i] += r * (g[i] * w[i] - xr[i] * k);
    }
  }
  for (int t = 0; t < nt; t++)
    for (int64_t i = 0; i < C; i++) dw[i] += acc[(size_t)t * C + i];
}

// ---------------------------------------------------------------------------------------------------------------
// Rotary embedding, rotate-half convention: for i < D/2, with c = cos(pos * f_i), s = sign * sin(pos * f_i),
// out[i] = x[i] c - x[i + D/2] s; out[i + D/2] = x[i + D/2] c + x[i] s. The map is a rotation, so its backward is
// the same kernel with sign = -1. x, out: (N, heads, D) rows at stride ld; tables cos/sin: (P, D/2). In place OK.
void rope(float* out, int64_t ldo, const float* x, int64_t ldx, const float* cosT, const float* sinT,
          const int32_t* pos, int64_t N, int64_t heads, int64_t D, float sign) {
  const int64_t h2 = D / 2;
#pragma omp parallel for if (big(N * heads * D))
  for (int64_t n = 0; n < N; n++) {
    const float* c = cosT + (int64_t)pos[n] * h2;
    const float* s = sinT + (int64_t)pos[n] * h2;
    for (int64_t h = 0; h < heads; h++) {
      const float* xi = x + n * ldx + h * D;
      float* o = out + n * ldo + h * D;
      for (int64_t i = 0; i < h2; i++) {
        const float a = xi[i], b = xi[i + h2], si = sign * s[i];
        o[i] = a * c[i] - b * si;
        o[i + h2] = b * c[i] + a * si;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Causal self-attention over packed variable-length sequences (cu: N_seq + 1 offsets), grouped KV heads.
// q: (N, H, D) at row stride ldq; k, v: (N, G, D) at ldk, ldv; out: (N, H, D) contiguous; lse: (N, H) the
// log-sum-exp of each softmax row, kept so that backward recomputes P instead of storing it (as FlashAttention).
// window > 0 keeps only keys j with i - j < window (Mistral's sliding window).
static inline void attn_probs(float* S, const float* lse_or_null, float* lse_out, int64_t T, int64_t window,
                              int64_t ldl) {
  for (int64_t i = 0; i < T; i++) {
    float* row = S + i * T;
    const int64_t j0 = window > 0 ? std::max<int64_t>(0, i - window + 1) : 0;
    float l;
    const int64_t n = i + 1 - j0;
    if (lse_or_null) {
      l = lse_or_null[i * ldl];
      exp_sub(row + j0, row + j0, l, n);
    } else {
      float m = -INFINITY;
      for (int64_t j = j0; j <= i; j++) m = std::max(m, row[j]);
      const float z = exp_sub(row + j0, row + j0, m, n);
      l = m + std::log(z);
      lse_out[i * ldl] = l;
      const float inv = 1.0f / z;
      for (int64_t j = j0; j <= i; j++) row[j] *= inv;
    }
    for (int64_t j = 0; j < j0; j++) row[j] = 0.0f;
    for (int64_t j = i + 1; j < T; j++) row[j] = 0.0f;
  }
}

void attention_forward(float* out, float* lse, const float* q, int64_t ldq, const float* k, int64_t ldk,
                       const float* v, int64_t ldv, const int32_t* cu, int64_t nseq, int64_t H, int64_t G, int64_t D,
                       float scale, int64_t window) {
  const int64_t jobs = nseq * H;
#pragma omp parallel if (kParallelGemmCalls)
  {
    std::vector<float> S;
#pragma omp for schedule(dynamic, 1)
    for (int64_t job = 0; job < jobs; job++) {
      const int64_t s = job / H, h = job % H, g = h / (H / G);
      const int64_t t0 = cu[s], T = cu[s + 1] - cu[s];
      if (T <= 0) continue;
      S.resize((size_t)(T * T));
      const float* Q = q + t0 * ldq + h * D;
      const float* K = k + t0 * ldk + g * D;
      const float* Vp = v + t0 * ldv + g * D;
      blas_gemm(false, true, T, T, D, scale, Q, ldq, K, ldk, 0.0f, S.data(), T);
      attn_probs(S.data(), nullptr, lse + t0 * H + h, T, window, H);
      blas_gemm(false, false, T, D, T, 1.0f, S.data(), T, Vp, ldv, 0.0f, out + t0 * H * D + h * D, H * D);
    }
  }
}

// dP = dO V^T; dS = P * (dP - rowsum(dO * O)); dQ += scale dS K; dK += scale dS^T Q; dV += P^T dO.
// One job per (sequence, KV head) so that the heads sharing a KV head never write the same dK, dV rows at once.
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, int64_t ldq,
                        const float* k, int64_t ldk, const float* v, int64_t ldv, const float* out, const float* lse,
                        const int32_t* cu, int64_t nseq, int64_t H, int64_t G, int64_t D, float scale,
                        int64_t window) {
  const int64_t jobs = nseq * G, per = H / G;
#pragma omp parallel if (kParallelGemmCalls)
  {
    std::vector<float> P, dP, Dl;
#pragma omp for schedule(dynamic, 1)
    for (int64_t job = 0; job < jobs; job++) {
      const int64_t s = job / G, g = job % G;
      const int64_t t0 = cu[s], T = cu[s + 1] - cu[s];
      if (T <= 0) continue;
      P.resize((size_t)(T * T));
      dP.resize((size_t)(T * T));
      Dl.resize((size_t)T);
      const float* K = k + t0 * ldk + g * D;
      const float* Vp = v + t0 * ldv + g * D;
      float* dK = dk + t0 * ldk + g * D;
      float* dV = dv + t0 * ldv + g * D;
      for (int64_t h = g * per; h < (g + 1) * per; h++) {
        const float* Q = q + t0 * ldq + h * D;
        float* dQ = dq + t0 * ldq + h * D;
        const float* dO = dout + t0 * H * D + h * D;
        const float* O = out + t0 * H * D + h * D;
        blas_gemm(false, true, T, T, D, scale, Q, ldq, K, ldk, 0.0f, P.data(), T);
        attn_probs(P.data(), lse + t0 * H + h, nullptr, T, window, H);
        blas_gemm(false, true, T, T, D, 1.0f, dO, H * D, Vp, ldv, 0.0f, dP.data(), T);
        for (int64_t i = 0; i < T; i++) {
          float acc = 0;
          for (int64_t d = 0; d < D; d++) acc += dO[i * H * D + d] * O[i * H * D + d];
          Dl[i] = acc;
        }
        for (int64_t i = 0; i < T; i++) {
          float* pr = P.data() + i * T;
          float* dr = dP.data() + i * T;
          for (int64_t j = 0; j <= i; j++) dr[j] = pr[j] * (dr[j] - Dl[i]);
          for (int64_t j = i + 1; j < T; j++) dr[j] = 0.0f;
        }
        blas_gemm(false, false, T, D, T, scale, dP.data(), T, K, ldk, 1.0f, dQ, ldq);
        blas_gemm(true, false, T, D, T, scale, dP.data(), T, Q, ldq, 1.0f, dK, ldk);
        blas_gemm(true, false, T, D, T, 1.0f, P.data(), T, dO, H * D, 1.0f, dV, ldv);
      }
    }
  }
}

// One query token per sequence against its KV cache (decoding). Rows j < lens[b] of kc/vc + b * seq_stride.
void attention_cached(float* out, const float* q, int64_t ldq, const float* kc, const float* vc, int64_t ldkv,
                      int64_t seq_stride, const int32_t* lens, int64_t B, int64_t H, int64_t G, int64_t D, float scale,
                      int64_t window) {
  const int64_t per = H / G;
#pragma omp parallel
  {
    std::vector<float> s;
#pragma omp for schedule(dynamic, 1)
    for (int64_t job = 0; job < B * H; job++) {
      const int64_t b = job / H, h = job % H, g = h / per, L = lens[b];
      const int64_t j0 = window > 0 ? std::max<int64_t>(0, L - window) : 0;
      s.resize((size_t)L);
      const float* qr = q + b * ldq + h * D;
      const float* K = kc + b * seq_stride + g * D;
      const float* V = vc + b * seq_stride + g * D;
      float m = -INFINITY;
      for (int64_t j = j0; j < L; j++) {
        float dot = 0;
        for (int64_t d = 0; d < D; d++) dot += qr[d] * K[j * ldkv + d];
        s[j] = dot * scale;
        m = std::max(m, s[j]);
      }
      const float z = exp_sub(s.data() + j0, s.data() + j0, m, L - j0), inv = 1.0f / z;
      float* o = out + b * H * D + h * D;
      for (int64_t d = 0; d < D; d++) o[d] = 0;
      for (int64_t j = j0; j < L; j++) {
        const float p = s[j] * inv;
        for (int64_t d = 0; d < D; d++) o[d] += p * V[j * ldkv + d];
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// GELU, tanh form (GPT-2's gelu_new): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
static const float kGeluC = 0.7978845608028654f;  // sqrt(2/pi)

void gelu_forward(float* out, const float* x, int64_t n) {
#pragma omp parallel for simd if (big(n))
  for (int64_t i = 0; i < n; i++) {
    const float a = x[i];
    out[i] = 0.5f * a * (1.0f + std::tanh(kGeluC * (a + 0.044715f * a * a * a)));
  }
}

// d gelu/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
void gelu_backward(float* dx, const float* dy, const float* x, int64_t n) {
#pragma omp parallel for simd if (big(n))
  for (int64_t i = 0; i < n; i++) {
    const float a = x[i];
    const float t = std::tanh(kGeluC * (a + 0.044715f * a * a * a));
    const float d = 0.5f * (1.0f + t) + 0.5f * a * (1.0f - t * t) * kGeluC * (1.0f + 3.0f * 0.044715f * a * a);
    dx[i] += dy[i] * d;
  }
}

// SwiGLU: out = silu(gate) * up, silu(g) = g sigmoid(g). gate/up rows at stride ld (they may be halves of one
// buffer); out: (N, I) contiguous.
void swiglu_forward(float* out, const float* gate, const float* up, int64_t N, int64_t I, int64_t ldg,
                    int64_t ldu) {
#pragma omp parallel for if (big(N * I))
  for (int64_t n = 0; n < N; n++)
    for (int64_t i = 0; i < I; i++) {
      const float g = gate[n * ldg + i];
      out[n * I + i] = g / (1.0f + std::exp(-g)) * up[n * ldu + i];
    }
}

// d silu(g)/dg = sig(g) (1 + g (1 - sig(g)))
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t N,
                     int64_t I, int64_t ldg, int64_t ldu) {
#pragma omp parallel for if (big(N * I))
  for (int64_t n = 0; n < N; n++)
    for (int64_t i = 0; i < I; i++) {
      const float g = gate[n * ldg + i], u = up[n * ldu + i], d = dout[n * I + i];
      const float sg = 1.0f / (1.0f + std::exp(-g));
      dgate[n * ldg + i] += d * u * sg * (1.0f + g * (1.0f - sg));
      dup[n * ldu + i] += d * g * sg;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Log-softmax + gather over rows of logits (R, V): lse[r] = logsumexp(logits[r]); logp[r] = logits[r, t[r]] - lse[r].
void logsoftmax_gather(float* logp, float* lse, const float* logits, const int32_t* targets, int64_t R, int64_t V) {
#pragma omp parallel if (big(R * V))
  {
    std::vector<float> tmp((size_t)V);
#pragma omp for
  for (int64_t r = 0; r < R; r++) {
    const float* row = logits + r * V;
    float m = -INFINITY;
#pragma omp simd reduction(max : m)
    for (int64_t j = 0; j < V; j++) m = std::max(m, row[j]);
    const float s = exp_sub(tmp.data(), row, m, V);
    const float l = m + std::log(s);
    lse[r] = l;
    logp[r] = row[targets[r]] - l;
  }
  }
}

// In place: logits (R, V) become dlogits = dlogp[r] * (onehot(t[r]) - softmax(logits[r])).
void logsoftmax_gather_backward(float* logits, const float* dlogp, const float* lse, const int32_t* targets,
                                int64_t R, int64_t V) {
#pragma omp parallel for if (big(R * V))
  for (int64_t r = 0; r < R; r++) {
    float* row = logits + r * V;
    const float l = lse[r], g = dlogp[r];
    exp_sub(row, row, l, V);
#pragma omp simd
    for (int64_t j = 0; j < V; j++) row[j] *= -g;
    row[targets[r]] += g;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Embedding rows: out[n] = W[ids[n]] (+= when accumulate). Backward scatters: dW[ids[n]] += dout[n] (serial: ids repeat).
void embedding_forward(float* out, const int32_t* ids, const float* W, int64_t N, int64_t C, bool accumulate) {
#pragma omp parallel for if (big(N * C))
  for (int64_t n = 0; n < N; n++) {
    const float* w = W + (int64_t)ids[n] * C;
    float* o = out + n * C;
    if (accumulate)
      for (int64_t i = 0; i < C; i++) o[i] += w[i];
    else
      std::memcpy(o, w, sizeof(float) * C);
  }
}

void embedding_backward(float* dW, const float* dout, const int32_t* ids, int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; n++) {
    float* d = dW + (int64_t)ids[n] * C;
    const float* g = dout + n * C;
    for (int64_t i = 0; i < C; i++) d[i] += g[i];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Elementwise helpers of the tape: y += alpha x; out = a + b; rows of (N, C) += bias; db += column sums of dy.
void axpy(float* y, const float* x, float alpha, int64_t n) {
#pragma omp parallel for simd if (big(n))
  for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

void add(float* out, const float* a, const float* b, int64_t n) {
#pragma omp parallel for simd if (big(n))
  for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void add_bias(float* out, const float* bias, int64_t N, int64_t C, int64_t ld) {
#pragma omp parallel for if (big(N * C))
  for (int64_t n = 0; n < N; n++)
    for (int64_t i = 0; i < C; i++) out[n * ld + i] += bias[i];
}

void bias_backward(float* db, const float* dy, int64_t N, int64_t C, int64_t ld) {
  for (int64_t n = 0; n < N; n++)
    for (int64_t i = 0; i < C; i++) db[i] += dy[n * ld + i];
}

// Gather rows src[idx[m]] into dst[m] (C wide); scatter-add is its backward.
void gather_rows(float* dst, const float* src, const int32_t* idx, int64_t M, int64_t C) {
#pragma omp parallel for if (big(M * C))
  for (int64_t m = 0; m < M; m++) std::memcpy(dst + m * C, src + (int64_t)idx[m] * C, sizeof(float) * C);
}

void scatter_add_rows(float* dst, const float* src, const int32_t* idx, int64_t M, int64_t C) {
  for (int64_t m = 0; m < M; m++) {
    float* d = dst + (int64_t)idx[m] * C;
    const float* s = src + m * C;
    for (int64_t i = 0; i < C; i++) d[i] += s[i];
  }
}

// AdamW as torch.optim.AdamW (decoupled decay first), step t >= 1; intermediate math in double like the
// portable backend, so both backends round the same way.
void adamw(float* w, const float* g, float* m, float* v, int64_t n, double lr, double b1, double b2, double eps,
           double wd, int64_t t) {
  const double bc1 = 1.0 - std::pow(b1, (double)t), bc2 = std::sqrt(1.0 - std::pow(b2, (double)t));
  const double step = lr / bc1, decay = 1.0 - lr * wd;
#pragma omp parallel for simd if (big(n))
  for (int64_t i = 0; i < n; i++) {
    const double gi = g[i];
    const float mi = (float)(b1 * m[i] + (1.0 - b1) * gi);
    const float vi = (float)(b2 * v[i] + (1.0 - b2) * gi * gi);
    m[i] = mi;
    v[i] = vi;
    w[i] = (float)(w[i] * decay - step * mi / (std::sqrt((double)vi) / bc2 + eps));
  }
}

}  // namespace poet
