// Reference-model log-probs are computed once and cached on disk, keyed by the reference model's files and the
// exact token ids scored (which covers the data file, tokenization, length limits and truncation). Later runs
// with the same key reuse them instead of running the reference model again.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { EncodedPair } from "../data/types.js";
import { writeFileAtomic } from "../atomic-write.js";

export function cacheDir(): string {
  return process.env.POET_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "poet", "reference-logps");
}

/** A content fingerprint of a model directory: config.json and, per weight file, its size and sampled bytes. */
export function modelFingerprint(dir: string): string {
  const h = createHash("sha256");
  h.update(readFileSync(join(dir, "config.json")));
  const CHUNK = 8 << 20;
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".safetensors")).sort()) {
    const path = join(dir, f), size = statSync(path).size;
    h.update(`${f}:${size}`);
    const fd = openSync(path, "r");
    try {
      // Whole file when small; otherwise the header and evenly spaced chunks (a changed weight changes them).
      const spots = size <= 4 * CHUNK ? [0] : Array.from({ length: 8 }, (_, i) => Math.floor(((size - CHUNK) * i) / 7));
      for (const at of spots) {
        const buf = Buffer.alloc(Math.min(size, size <= 4 * CHUNK ? size : CHUNK));
        readSync(fd, buf, 0, buf.length, at);
        h.update(buf);
      }
    } finally {
      closeSync(fd);
    }
  }
  return h.digest("hex");
}

export function pairsFingerprint(pairs: readonly EncodedPair[]): string {
  const h = createHash("sha256");
  for (const p of pairs) h.update(`${p.promptIds}|${p.chosenIds}|${p.rejectedIds};`);
  return h.digest("hex");
}

export interface CachedLogps {
  chosen: number[];
  rejected: number[];
}

/** Returns cached reference log-probs for (model, pairs), computing and storing them on a miss. */
export function cachedReferenceLogps(modelDir: string, pairs: readonly EncodedPair[], compute: () => CachedLogps): { logps: CachedLogps; hit: boolean; file: string } {
  const key = createHash("sha256").update(modelFingerprint(modelDir)).update(pairsFingerprint(pairs)).digest("hex").slice(0, 32);
  const dir = cacheDir(), file = join(dir, `${key}.json`);
  if (existsSync(file)) {
    try {
      const logps = JSON.parse(readFileSync(file, "utf8")) as CachedLogps;
      if (logps.chosen.length === pairs.length && logps.rejected.length === pairs.length) return { logps, hit: true, file };
    } catch {
      // a damaged cache entry is recomputed
    }
  }
  const logps = compute();
  writeFileAtomic(file, JSON.stringify(logps));
  return { logps, hit: false, file };
}
