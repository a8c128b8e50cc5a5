// Chooses the backend once per process: the native addon when it loads, else the portable TypeScript kernels.
// POET_BACKEND=portable|native forces one; POET_THREADS sets the thread count (default: all cores).
import { availableParallelism } from "node:os";
import { UserError } from "../errors.js";
import type { Backend } from "./kernels.js";
import { nativeBackend, nativeLoadError } from "./backends/native.js";
import { portableBackend } from "./backends/portable.js";

let current: Backend | null = null;

function threadCount(): number {
  const env = process.env.POET_THREADS;
  if (env === undefined || env === "") return availableParallelism();
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`POET_THREADS=${env}: expected a positive integer`);
  return n;
}

/** The process-wide backend (chosen on first use). */
export function getBackend(): Backend {
  if (current) return current;
  const want = process.env.POET_BACKEND ?? "auto";
  if (want !== "auto" && want !== "native" && want !== "portable")
    throw new UserError(`POET_BACKEND=${want}: expected native, portable or auto`);
  let b: Backend | null = want === "portable" ? null : nativeBackend();
  if (!b && want === "native") throw new UserError(`POET_BACKEND=native but the native addon is unavailable: ${nativeLoadError()}`);
  b ??= portableBackend("float32");
  b.setThreads(threadCount());
  current = b;
  return b;
}

/** Why the native backend is not in use (null when it is). */
export function whyNotNative(): string | null {
  return getBackend().name === "native" ? null : nativeLoadError() ?? "POET_BACKEND=portable";
}
