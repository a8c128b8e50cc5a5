// The native backend: the N-API addon built from native/ (OpenBLAS GEMM + fused C++ kernels), float32 only.
// Loading fails softly (returns null) so that the portable backend can take over.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Backend, BackendInfo, Buf, Kernels } from "../kernels.js";

interface Addon extends Kernels {
  setThreads(n: number): void;
  setGemmLibrary(lib: "onednn" | "openblas"): "onednn" | "openblas";
  info(): { threads: number; blasThreads: number; blasConfig: string; blasCore: string; blasVariant: string; gemm: string };
}

/** Where `npm ci` builds the addon (package root /build/Release), from dist/src/engine/backends/. */
export const ADDON_PATH = fileURLToPath(new URL("../../../../build/Release/poet_native.node", import.meta.url));

let loadError: string | null = null;

/** Why the addon could not be loaded, if it could not. */
export function nativeLoadError(): string | null {
  return loadError;
}

export function nativeBackend(): Backend | null {
  if (!existsSync(ADDON_PATH)) {
    loadError = `${ADDON_PATH} not built (run: npm run build:native)`;
    return null;
  }
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (e) {
    loadError = `${ADDON_PATH} does not load: ${(e as Error).message}`;
    return null;
  }
  const want = process.env.POET_GEMM;
  if (want === "openblas" || want === "onednn") addon.setGemmLibrary(want);
  return {
    name: "native",
    dtype: "float32",
    kernels: addon,
    alloc: (n: number): Buf => new Float32Array(n),
    from: (data: ArrayLike<number>): Buf => Float32Array.from(data),
    setThreads: (n: number) => addon.setThreads(n),
    info: (): BackendInfo => {
      const i = addon.info();
      return {
        backend: "native",
        dtype: "float32",
        threads: i.threads,
        libraries: [
          `GEMM: ${i.gemm === "onednn" ? "oneDNN (dnnl_sgemm)" : "OpenBLAS"}`,
          `${i.blasConfig.split(" ").slice(0, 2).join(" ")} (${i.blasVariant}, ${i.blasCore} kernels, ${i.blasThreads} threads)`,
          "libgomp (OpenMP)",
        ],
      };
    },
  };
}
