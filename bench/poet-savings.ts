// `npm run bench:poet`: how many tokens and how much training time POET's truncation saves on a realistic length
// distribution. Pairs are drawn with log-normal lengths shaped like UltraFeedback-binarized's chat data (prompt
// median ~150 tokens, responses median ~250 with a long tail, chosen and rejected drawn independently, capped at
// 1024), on the bench Llama; one DPO epoch with `poet train`, truncation none against poet, same everything else.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mulberry32 } from "../src/engine/random.js";
import { initModel, saveModel } from "../src/models/load.js";
import { BENCH_CONFIG } from "./bench-config.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORK = join(ROOT, ".tmp", "bench-poet");
const PAIRS = Number(process.env.BENCH_PAIRS ?? 32);

function logNormal(u: () => number, median: number, sigma: number, cap: number): number {
  const z = Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  return Math.max(4, Math.min(cap, Math.round(median * Math.exp(sigma * z))));
}

mkdirSync(WORK, { recursive: true });
const modelDir = join(WORK, "model"), data = join(WORK, "pairs.jsonl");
if (!existsSync(join(modelDir, "model.safetensors"))) saveModel(initModel(BENCH_CONFIG, 0), modelDir);
const u = mulberry32(7), V = BENCH_CONFIG.vocab_size;
const ids = (n: number) => Array.from({ length: n }, () => Math.floor(u() * V));
let full = 0, kept = 0, prompt = 0;
const lines: string[] = [];
for (let i = 0; i < PAIRS; i++) {
  const p = logNormal(u, 150, 0.6, 512), c = logNormal(u, 250, 0.6, 1024), r = logNormal(u, 250, 0.6, 1024);
  full += c + r;
  kept += 2 * Math.min(c, r);
  prompt += 2 * p;
  lines.push(JSON.stringify({ prompt_input_ids: ids(p), chosen_input_ids: ids(c), rejected_input_ids: ids(r) }));
}
writeFileSync(data, lines.join("\n") + "\n");

const time = (trunc: string) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, "dist", "src", "cli", "main.js"), "train", "--model", modelDir, "--data", data,
    "--output-dir", join(WORK, `run-${trunc}`), "--loss", "dpo", "--truncation", trunc, "--learning-rate", "5e-7",
    "--per-device-train-batch-size", "8", "--num-train-epochs", "1", "--save-strategy", "no", "--max-length", "4096"],
    { env: { ...process.env, POET_CACHE_DIR: join(WORK, `cache-${trunc}-${Date.now()}`) }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return (performance.now() - t0) / 1000;
};
const tNone = time("none"), tPoet = time("poet");
console.log(`${PAIRS} pairs, log-normal lengths (prompt median 150, responses median 250, sigma 0.6)`);
console.log(`completion tokens: ${full} -> ${kept} with POET (${(100 * (1 - kept / full)).toFixed(1)}% fewer); ` +
  `with the prompts (fed twice): ${full + prompt} -> ${kept + prompt} (${(100 * (1 - (kept + prompt) / (full + prompt))).toFixed(1)}% fewer)`);
console.log(`DPO epoch (poet train, whole process, reference log-probs included): ${tNone.toFixed(2)} s -> ${tPoet.toFixed(2)} s with POET ` +
  `(${(100 * (1 - tPoet / tNone)).toFixed(1)}% less time)`);
