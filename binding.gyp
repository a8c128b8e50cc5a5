{
  "targets": [
    {
      "target_name": "poet_native",
      "sources": ["native/addon.cc", "native/kernels.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node scripts/find-blas.mjs include)"
      ],
      "libraries": [
        "-L<!(node scripts/find-blas.mjs libdir)",
        "-Wl,-rpath,<!(node scripts/find-blas.mjs libdir)",
        "-lopenblas",
        "-lmvec",
        "<!(node scripts/find-blas.mjs dnnl-lib)",
        "-fopenmp"
      ],
      "cflags_cc": ["-O3", "-march=native", "-fopenmp", "-std=c++17", "-fno-math-errno"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8", "POET_BLAS_<!(node scripts/find-blas.mjs variant)", "<!(node scripts/find-blas.mjs dnnl-define)"]
    }
  ]
}
