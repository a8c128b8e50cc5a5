// Prints where OpenBLAS lives for binding.gyp: `include`, `libdir` or `variant` (openmp | pthread | none).
// Prefers Debian's OpenMP build (our kernels and BLAS then share one OpenMP thread pool).
import { existsSync } from "node:fs";
import { execSync } from "node:child_process";

export function findBlas() {
  let triplet = "x86_64-linux-gnu";
  try {
    triplet = execSync("gcc -print-multiarch", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim() || triplet;
  } catch {}
  for (const variant of ["openmp", "pthread"]) {
    const include = `/usr/include/${triplet}/openblas-${variant}`;
    const libdir = `/usr/lib/${triplet}/openblas-${variant}`;
    if (existsSync(`${include}/cblas.h`) && existsSync(`${libdir}/libopenblas.so`)) return { include, libdir, variant };
  }
  return null;
}

/** Debian's oneDNN (libdnnl-dev): its sgemm beats OpenBLAS on our shapes; optional. */
export function hasDnnl() {
  let triplet = "x86_64-linux-gnu";
  try {
    triplet = execSync("gcc -print-multiarch", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim() || triplet;
  } catch {}
  return existsSync("/usr/include/oneapi/dnnl/dnnl.h") && existsSync(`/usr/lib/${triplet}/libdnnl.so`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const blas = findBlas();
  const what = process.argv[2] ?? "variant";
  if (what === "dnnl-define") process.stdout.write(hasDnnl() ? "POET_HAVE_DNNL" : "POET_NO_DNNL");
  else if (what === "dnnl-lib") process.stdout.write(hasDnnl() ? "-ldnnl" : "-lm");
  else process.stdout.write(blas ? blas[what] : what === "variant" ? "none" : "/nonexistent");
}
