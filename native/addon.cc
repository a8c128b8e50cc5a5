// N-API bindings of the native kernels: unpack JavaScript arguments (Float32Array / Int32Array / numbers) in the
// kernel's own order and call it. Arrays are used in place, never copied. Checks types and GEMM extents, so a
// wrong call from TypeScript is an exception rather than memory corruption.
#include <napi.h>
#include <malloc.h>
#include <omp.h>

#include <string>

#include "blas.h"
#include "kernels.h"

namespace {

using Info = const Napi::CallbackInfo;

struct Arr {
  float* p;
  size_t len;
};

Arr f32(Info& a, size_t i) {
  if (a[i].IsNull() || a[i].IsUndefined()) return {nullptr, 0};
  if (!a[i].IsTypedArray() || a[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(a.Env(), "argument " + std::to_string(i) + " must be a Float32Array");
  auto t = a[i].As<Napi::Float32Array>();
  return {t.Data(), t.ElementLength()};
}
float* F(Info& a, size_t i) { return f32(a, i).p; }
const int32_t* I(Info& a, size_t i) {
  if (!a[i].IsTypedArray() || a[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw Napi::TypeError::New(a.Env(), "argument " + std::to_string(i) + " must be an Int32Array");
  return a[i].As<Napi::Int32Array>().Data();
}
int64_t N(Info& a, size_t i) { return a[i].As<Napi::Number>().Int64Value(); }
float R(Info& a, size_t i) { return a[i].As<Napi::Number>().FloatValue(); }
bool B(Info& a, size_t i) { return a[i].ToBoolean().Value(); }

void need(Info& a, const Arr& x, int64_t rows, int64_t cols, int64_t ld, const char* name) {
  if (rows <= 0 || cols <= 0) return;
  const int64_t last = (rows - 1) * ld + cols;
  if (ld < cols || (int64_t)x.len < last)
    throw Napi::RangeError::New(a.Env(), std::string("gemm: ") + name + " too small for its extent");
}

// gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): C (M,N) = alpha op(A) op(B) + beta C
Napi::Value Gemm(Info& a) {
  const bool ta = B(a, 0), tb = B(a, 1);
  const int64_t M = N(a, 2), Nn = N(a, 3), K = N(a, 4), lda = N(a, 7), ldb = N(a, 9), ldc = N(a, 12);
  Arr A = f32(a, 6), Bm = f32(a, 8), C = f32(a, 11);
  need(a, A, ta ? K : M, ta ? M : K, lda, "A");
  need(a, Bm, tb ? Nn : K, tb ? K : Nn, ldb, "B");
  need(a, C, M, Nn, ldc, "C");
  if (M > 0 && Nn > 0) poet::gemm(ta, tb, M, Nn, K, R(a, 5), A.p, lda, Bm.p, ldb, R(a, 10), C.p, ldc);
  return a.Env().Undefined();
}

#define K0(name, call)                 \
  Napi::Value name(Info& a) {          \
    call;                              \
    return a.Env().Undefined();        \
  }

K0(LayernormForward, poet::layernorm_forward(F(a, 0), F(a, 1), F(a, 2), F(a, 3), F(a, 4), F(a, 5), N(a, 6), N(a, 7), R(a, 8)))
K0(LayernormBackward, poet::layernorm_backward(F(a, 0), F(a, 1), F(a, 2), F(a, 3), F(a, 4), F(a, 5), F(a, 6), F(a, 7), N(a, 8), N(a, 9)))
K0(RmsnormForward, poet::rmsnorm_forward(F(a, 0), F(a, 1), F(a, 2), F(a, 3), N(a, 4), N(a, 5), R(a, 6)))
K0(RmsnormBackward, poet::rmsnorm_backward(F(a, 0), F(a, 1), F(a, 2), F(a, 3), F(a, 4), F(a, 5), N(a, 6), N(a, 7)))
K0(Rope, poet::rope(F(a, 0), N(a, 1), F(a, 2), N(a, 3), F(a, 4), F(a, 5), I(a, 6), N(a, 7), N(a, 8), N(a, 9), R(a, 10)))
K0(AttentionForward, poet::attention_forward(F(a, 0), F(a, 1), F(a, 2), N(a, 3), F(a, 4), N(a, 5), F(a, 6), N(a, 7), I(a, 8), N(a, 9), N(a, 10), N(a, 11), N(a, 12), R(a, 13), N(a, 14)))
K0(AttentionBackward, poet::attention_backward(F(a, 0), F(a, 1), F(a, 2), F(a, 3), F(a, 4), N(a, 5), F(a, 6), N(a, 7), F(a, 8), N(a, 9), F(a, 10), F(a, 11), I(a, 12), N(a, 13), N(a, 14), N(a, 15), N(a, 16), R(a, 17), N(a, 18)))
K0(AttentionCached, poet::attention_cached(F(a, 0), F(a, 1), N(a, 2), F(a, 3), F(a, 4), N(a, 5), N(a, 6), I(a, 7), N(a, 8), N(a, 9), N(a, 10), N(a, 11), R(a, 12), N(a, 13)))
K0(GeluForward, poet::gelu_forward(F(a, 0), F(a, 1), N(a, 2)))
K0(GeluBackward, poet::gelu_backward(F(a, 0), F(a, 1), F(a, 2), N(a, 3)))
K0(SwigluForward, poet::swiglu_forward(F(a, 0), F(a, 1), F(a, 2), N(a, 3), N(a, 4), N(a, 5), N(a, 6)))
K0(SwigluBackward, poet::swiglu_backward(F(a, 0), F(a, 1), F(a, 2), F(a, 3), F(a, 4), N(a, 5), N(a, 6), N(a, 7), N(a, 8)))
K0(LogsoftmaxGather, poet::logsoftmax_gather(F(a, 0), F(a, 1), F(a, 2), I(a, 3), N(a, 4), N(a, 5)))
K0(LogsoftmaxGatherBackward, poet::logsoftmax_gather_backward(F(a, 0), F(a, 1), F(a, 2), I(a, 3), N(a, 4), N(a, 5)))
K0(EmbeddingForward, poet::embedding_forward(F(a, 0), I(a, 1), F(a, 2), N(a, 3), N(a, 4), B(a, 5)))
K0(EmbeddingBackward, poet::embedding_backward(F(a, 0), F(a, 1), I(a, 2), N(a, 3), N(a, 4)))
K0(Axpy, poet::axpy(F(a, 0), F(a, 1), R(a, 2), N(a, 3)))
K0(Add, poet::add(F(a, 0), F(a, 1), F(a, 2), N(a, 3)))
K0(AddBias, poet::add_bias(F(a, 0), F(a, 1), N(a, 2), N(a, 3), N(a, 4)))
K0(BiasBackward, poet::bias_backward(F(a, 0), F(a, 1), N(a, 2), N(a, 3), N(a, 4)))
K0(GatherRows, poet::gather_rows(F(a, 0), F(a, 1), I(a, 2), N(a, 3), N(a, 4)))
Napi::Value Adamw(Info& a) {
  poet::adamw(F(a, 0), F(a, 1), F(a, 2), F(a, 3), N(a, 4), a[5].As<Napi::Number>().DoubleValue(),
              a[6].As<Napi::Number>().DoubleValue(), a[7].As<Napi::Number>().DoubleValue(),
              a[8].As<Napi::Number>().DoubleValue(), a[9].As<Napi::Number>().DoubleValue(), N(a, 10));
  return a.Env().Undefined();
}
K0(ScatterAddRows, poet::scatter_add_rows(F(a, 0), F(a, 1), I(a, 2), N(a, 3), N(a, 4)))

// setThreads(n): one pool for OpenMP kernels and (OpenMP-built) OpenBLAS.
Napi::Value SetThreads(Info& a) {
  const int n = (int)N(a, 0);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  return a.Env().Undefined();
}

// setGemmLibrary("onednn" | "openblas") -> the library now in use
Napi::Value SetGemmLibrary(Info& a) {
  const bool dnnl = poet::set_gemm_library(a[0].As<Napi::String>().Utf8Value() == "onednn");
  return Napi::String::New(a.Env(), dnnl ? "onednn" : "openblas");
}

Napi::Value Info_(Info& a) {
  auto o = Napi::Object::New(a.Env());
  o.Set("threads", omp_get_max_threads());
  o.Set("blasThreads", openblas_get_num_threads());
  o.Set("blasConfig", std::string(openblas_get_config()));
  o.Set("blasCore", std::string(openblas_get_corename()));
  const bool dnnl = poet::set_gemm_library(true);
  o.Set("gemm", dnnl ? "onednn" : "openblas");
  poet::set_gemm_library(dnnl);
  #ifdef POET_BLAS_openmp
  o.Set("blasVariant", "openmp");
#else
  o.Set("blasVariant", "pthread");
#endif
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Keep freed activation buffers in the heap instead of returning them to the kernel: fresh mmap'd pages fault
  // on first touch, and with two threads writing them that costs more than the kernels themselves (measured:
  // an add over 2.4 MB went from 0.3 ms to 7.8 ms).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#define REG(js, fn) exports.Set(js, Napi::Function::New(env, fn))
  REG("gemm", Gemm);
  REG("layernormForward", LayernormForward);
  REG("layernormBackward", LayernormBackward);
  REG("rmsnormForward", RmsnormForward);
  REG("rmsnormBackward", RmsnormBackward);
  REG("rope", Rope);
  REG("attentionForward", AttentionForward);
  REG("attentionBackward", AttentionBackward);
  REG("attentionCached", AttentionCached);
  REG("geluForward", GeluForward);
  REG("geluBackward", GeluBackward);
  REG("swigluForward", SwigluForward);
  REG("swigluBackward", SwigluBackward);
  REG("logsoftmaxGather", LogsoftmaxGather);
  REG("logsoftmaxGatherBackward", LogsoftmaxGatherBackward);
  REG("embeddingForward", EmbeddingForward);
  REG("embeddingBackward", EmbeddingBackward);
  REG("axpy", Axpy);
  REG("add", Add);
  REG("addBias", AddBias);
  REG("biasBackward", BiasBackward);
  REG("gatherRows", GatherRows);
  REG("scatterAddRows", ScatterAddRows);
  REG("adamw", Adamw);
  REG("setThreads", SetThreads);
  REG("info", Info_);
  REG("setGemmLibrary", SetGemmLibrary);
#undef REG
  return exports;
}

}  // namespace

NODE_API_MODULE(poet_native, Init)
