// Declarations of the native kernels (kernels.cc). Float32 buffers; sizes and strides in elements.
#pragma once
#include <cstdint>

namespace poet {
/** Chooses oneDNN (true) or OpenBLAS for `gemm`; returns what is in effect (OpenBLAS when built without oneDNN). */
bool set_gemm_library(bool dnnl);
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* w, const float* b,
                       int64_t N, int64_t C, float eps);
void layernorm_backward(float* dx, float* dw, float* db, const float* dy, const float* x, const float* w,
                        const float* mean, const float* rstd, int64_t N, int64_t C);
void rmsnorm_forward(float* out, float* rstd, const float* x, const float* w, int64_t N, int64_t C, float eps);
void rmsnorm_backward(float* dx, float* dw, const float* dy, const float* x, const float* w, const float* rstd,
                      int64_t N, int64_t C);
void rope(float* out, int64_t ldo, const float* x, int64_t ldx, const float* cosT, const float* sinT,
          const int32_t* pos, int64_t N, int64_t heads, int64_t D, float sign);
void attention_forward(float* out, float* lse, const float* q, int64_t ldq, const float* k, int64_t ldk,
                       const float* v, int64_t ldv, const int32_t* cu, int64_t nseq, int64_t H, int64_t G, int64_t D,
                       float scale, int64_t window);
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q, int64_t ldq,
                        const float* k, int64_t ldk, const float* v, int64_t ldv, const float* out, const float* lse,
                        const int32_t* cu, int64_t nseq, int64_t H, int64_t G, int64_t D, float scale,
                        int64_t window);
void attention_cached(float* out, const float* q, int64_t ldq, const float* kc, const float* vc, int64_t ldkv,
                      int64_t seq_stride, const int32_t* lens, int64_t B, int64_t H, int64_t G, int64_t D, float scale,
                      int64_t window);
void gelu_forward(float* out, const float* x, int64_t n);
void gelu_backward(float* dx, const float* dy, const float* x, int64_t n);
void swiglu_forward(float* out, const float* gate, const float* up, int64_t N, int64_t I, int64_t ldg,
                    int64_t ldu);
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t N,
                     int64_t I, int64_t ldg, int64_t ldu);
void logsoftmax_gather(float* logp, float* lse, const float* logits, const int32_t* targets, int64_t R, int64_t V);
void logsoftmax_gather_backward(float* logits, const float* dlogp, const float* lse, const int32_t* targets,
                                int64_t R, int64_t V);
void embedding_forward(float* out, const int32_t* ids, const float* W, int64_t N, int64_t C, bool accumulate);
void embedding_backward(float* dW, const float* dout, const int32_t* ids, int64_t N, int64_t C);
void axpy(float* y, const float* x, float alpha, int64_t n);
void add(float* out, const float* a, const float* b, int64_t n);
void add_bias(float* out, const float* bias, int64_t N, int64_t C, int64_t ld);
void bias_backward(float* db, const float* dy, int64_t N, int64_t C, int64_t ld);
void gather_rows(float* dst, const float* src, const int32_t* idx, int64_t M, int64_t C);
void scatter_add_rows(float* dst, const float* src, const int32_t* idx, int64_t M, int64_t C);
void adamw(float* w, const float* g, float* m, float* v, int64_t n, double lr, double b1, double b2, double eps,
           double wd, int64_t t);
}  // namespace poet
