// Which CBLAS header to use: the OpenMP build of OpenBLAS when present (its threads and ours share one pool),
// the pthread build otherwise. Chosen by scripts/find-blas.mjs at build time.
#pragma once
#include <cblas.h>
extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}
