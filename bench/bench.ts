// `npm run bench`: poet against PyTorch fp32 on this machine, side by side, in one run.
//  1. Throughput on the issue's bench model (Llama: vocab 8192, hidden 256, 4 layers, 8 heads, 4 KV heads,
//     SwiGLU 688), batch 16 of mixed lengths 64..256: forward tokens/s and forward+backward+AdamW tokens/s.
//     PyTorch pads the batch the usual way; poet packs it. Tokens/s counts real tokens for both.
//  2. Whole processes: `poet logps` over 64 pairs against bench/torch_logps.py (TRL-style padded batches),
//     forward only and forward+backward, truncation none and poet.
// Prints a table with ratios (poet / PyTorch) and the fraction of the CPU's fp32 peak each reaches.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getBackend } from "../src/engine/backend.js";
import { mulberry32 } from "../src/engine/random.js";
import { Tape } from "../src/engine/tape.js";
import { initModel, saveModel } from "../src/models/load.js";
import type { CausalLM } from "../src/models/model.js";
import { packForScoring, tokenLogprobs, type ScoredSequence } from "../src/models/scoring.js";
import { AdamW } from "../src/train/adamw.js";
import { BENCH_CONFIG } from "./bench-config.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORK = join(ROOT, ".tmp", "bench");
const PY = process.env.POET_PYTHON ?? "/usr/bin/python3";
const THREADS = Number(process.env.POET_THREADS ?? 2);
const PEAK = Number(process.env.POET_PEAK_GFLOPS ?? 333); // fp32 peak of this machine (../shared/notes)
const ITERS = Number(process.env.BENCH_ITERS ?? 5);



/** Integers in [0, n) from a seed. */
function rng(seed: number) {
  const u = mulberry32(seed);
  return (n: number) => Math.floor(u() * n);
}

/** Matmul FLOPs per token of one forward pass (2 per multiply-add), attention included for length T. */
function flopsPerToken(avgContext: number): number {
  const c = BENCH_CONFIG, C = c.hidden_size, D = C / c.num_attention_heads, kv = c.num_key_value_heads * D;
  const perLayer = C * C + 2 * C * kv + C * C + 3 * C * c.intermediate_size + 2 * avgContext * C;
  return 2 * (c.num_hidden_layers * perLayer + C * c.vocab_size);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeIt(fn: () => void, warmup: number, iters: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
}

function ensureInputs(): { modelDir: string; pairs: string } {
  const modelDir = join(WORK, "model"), pairs = join(WORK, "pairs.jsonl");
  if (!existsSync(join(modelDir, "model.safetensors"))) saveModel(initModel(BENCH_CONFIG, 0), modelDir);
  if (!existsSync(pairs)) {
    const r = rng(1), V = BENCH_CONFIG.vocab_size;
    const ids = (n: number) => Array.from({ length: n }, () => r(V));
    const lines: string[] = [];
    for (let i = 0; i < 64; i++) {
      const p = 16 + r(81), c = 16 + r(145), j = 16 + r(145); // sequences of 32..256 tokens
      lines.push(JSON.stringify({ prompt_input_ids: ids(p), chosen_input_ids: ids(c), rejected_input_ids: ids(j) }));
    }
    writeFileSync(pairs, lines.join("\n") + "\n");
  }
  return { modelDir, pairs };
}

/** Next-token scoring of whole sequences: every position but the last predicts the next token. */
function lmBatch(lengths: number[]): { seqs: ScoredSequence[]; tokens: number } {
  const r = rng(2), V = BENCH_CONFIG.vocab_size;
  const seqs = lengths.map((n) => {
    const ids = Array.from({ length: n }, () => r(V));
    return { prompt: ids.slice(0, 1), completion: ids.slice(1) };
  });
  return { seqs, tokens: lengths.reduce((a, b) => a + b, 0) };
}

function poetThroughput(model: CausalLM, lengths: number[]) {
  const { seqs, tokens } = lmBatch(lengths);
  const sb = packForScoring(seqs);
  const b = model.backend;
  const fwd = timeIt(() => tokenLogprobs(model, new Tape(b, false), sb), 1, ITERS);
  const params = [...model.params.values()].map((p) => p.t);
  for (const p of params) p.requiresGrad = true;
  const opt = new AdamW(params, { lr: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const M = sb.targets.length;
  const step = () => {
    opt.zeroGrad();
    const tape = new Tape(b, true);
    const lp = tokenLogprobs(model, tape, sb);
    lp.grad = b.alloc(M).fill(-1 / M); // loss = mean token cross-entropy
    tape.backward();
    opt.update();
  };
  const train = timeIt(step, 1, ITERS);
  return { tokens, fwd, train };
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): { s: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
  return { s, out: r.stdout };
}

function wholeProcess(label: string, poet: string[], torch: string[], reps: number) {
  const p: number[] = [], t: number[] = [];
  for (let i = 0; i < reps; i++) {
    p.push(run(process.execPath, poet, { POET_THREADS: String(THREADS) }).s);
    t.push(run(PY, torch).s);
  }
  return { label, poet: median(p), torch: median(t) };
}

function main() {
  mkdirSync(WORK, { recursive: true });
  const { modelDir, pairs } = ensureInputs();
  const backend = getBackend();
  const info = backend.info();
  const r = rng(3);
  const lengths = Array.from({ length: 16 }, () => 64 + r(193));
  const avgCtx = lengths.reduce((a, n) => a + (n * (n + 1)) / 2, 0) / lengths.reduce((a, b) => a + b, 0);
  const fpt = flopsPerToken(avgCtx);

  console.log(`poet bench: ${info.backend} backend, ${info.threads} threads; PyTorch via ${PY}, ${THREADS} threads`);
  console.log(`model: Llama vocab 8192, hidden 256, 4 layers, 8 heads / 4 KV, SwiGLU 688; batch 16, lengths 64..256 (${lengths.reduce((a, b) => a + b, 0)} tokens)\n`);

  const model = initModel(BENCH_CONFIG, 0, backend);
  const ours = poetThroughput(model, lengths);
  const torchOut = run(PY, [join(ROOT, "bench", "torch_train_bench.py"), "--threads", String(THREADS),
    "--iters", String(ITERS), "--lengths", lengths.join(",")]).out;
  const theirs = JSON.parse(torchOut.trim().split("\n").pop()!) as { forward_tok_s: number; train_tok_s: number; padded_tokens: number; torch: string };

  const rowsT: [string, number, number, number][] = [
    ["forward", ours.tokens / ours.fwd, theirs.forward_tok_s, 1],
    ["forward+backward+AdamW", ours.tokens / ours.train, theirs.train_tok_s, 3],
  ];
  console.log(`throughput (tokens/s, real tokens; PyTorch ${theirs.torch} pads to ${theirs.padded_tokens} tokens)`);
  console.log(`  ${"".padEnd(24)} ${"poet".padStart(10)} ${"PyTorch".padStart(10)} ${"ratio".padStart(7)}  ${"poet %peak".padStart(10)} ${"torch %peak".padStart(11)}`);
  const results: Record<string, unknown> = {};
  for (const [name, p, t, mult] of rowsT) {
    const pk = (tps: number) => ((100 * tps * fpt * mult) / (PEAK * 1e9)).toFixed(1) + "%";
    console.log(`  ${name.padEnd(24)} ${p.toFixed(0).padStart(10)} ${t.toFixed(0).padStart(10)} ${(p / t).toFixed(2).padStart(6)}x  ${pk(p).padStart(10)} ${pk(t).padStart(11)}`);
    results[name] = { poet_tok_s: p, torch_tok_s: t, ratio: p / t };
  }

  console.log(`\nwhole process, 64 pairs (seconds, median of 3; PyTorch batches 8 pairs padded, TRL-style)`);
  const cli = join(ROOT, "dist", "src", "cli", "main.js");
  const bwd = join(ROOT, "dist", "bench", "logps-backward.js");
  const tl = join(ROOT, "bench", "torch_logps.py");
  const out = join(WORK, "out.jsonl");
  const cases = [];
  for (const trunc of ["none", "poet"]) {
    const common = ["--model", modelDir, "--data", pairs, "--truncation", trunc, "--output", out];
    cases.push(wholeProcess(`logps forward, truncation ${trunc}`, [cli, "logps", ...common], [tl, ...common, "--threads", String(THREADS)], 3));
    cases.push(wholeProcess(`logps fwd+bwd, truncation ${trunc}`, [bwd, ...common], [tl, ...common, "--threads", String(THREADS), "--backward"], 3));
  }
  console.log(`  ${"".padEnd(34)} ${"poet".padStart(8)} ${"PyTorch".padStart(8)} ${"speedup".padStart(8)}`);
  for (const c of cases) {
    console.log(`  ${c.label.padEnd(34)} ${c.poet.toFixed(2).padStart(8)} ${c.torch.toFixed(2).padStart(8)} ${(c.torch / c.poet).toFixed(2).padStart(7)}x`);
    results[c.label] = { poet_s: c.poet, torch_s: c.torch, speedup: c.torch / c.poet };
  }
  console.log(`\nDPO epoch over the 64 pairs, whole process (seconds, median of 3): poet train (reference log-probs once,`);
  console.log(`packed) against PyTorch the way TRL does it (padded chosen+rejected, reference forward every step); batch 8, lr 5e-7`);
  const dpo: Record<string, { poet: number; torch: number }> = {};
  for (const trunc of ["none", "poet"]) {
    const out2 = join(WORK, `dpo-${trunc}`);
    const poetArgs = [cli, "train", "--model", modelDir, "--data", pairs, "--output-dir", out2, "--loss", "dpo", "--beta", "0.1",
      "--truncation", trunc, "--learning-rate", "5e-7", "--per-device-train-batch-size", "8", "--num-train-epochs", "1",
      "--lr-scheduler-type", "constant", "--max-grad-norm", "1", "--weight-decay", "0", "--save-strategy", "no", "--logging-steps", "1"];
    const torchArgs = [join(ROOT, "bench", "torch_dpo_bench.py"), "--model", modelDir, "--data", pairs, "--truncation", trunc,
      "--threads", String(THREADS), "--batch-size", "8", "--lr", "5e-7", "--beta", "0.1"];
    const p: number[] = [], t: number[] = [];
    for (let i = 0; i < 3; i++) {
      // a fresh cache each time: every run computes its reference log-probs, as a first run would
      p.push(run(process.execPath, poetArgs, { POET_THREADS: String(THREADS), POET_CACHE_DIR: join(WORK, `cache-${trunc}-${i}`) }).s);
      t.push(run(PY, torchArgs).s);
    }
    dpo[trunc] = { poet: median(p), torch: median(t) };
  }
  console.log(`  ${"".padEnd(34)} ${"poet".padStart(8)} ${"PyTorch".padStart(8)} ${"speedup".padStart(8)}`);
  for (const [trunc, c] of Object.entries(dpo)) {
    console.log(`  ${`DPO epoch, truncation ${trunc}`.padEnd(34)} ${c.poet.toFixed(2).padStart(8)} ${c.torch.toFixed(2).padStart(8)} ${(c.torch / c.poet).toFixed(2).padStart(7)}x`);
    results[`dpo epoch, truncation ${trunc}`] = { poet_s: c.poet, torch_s: c.torch, speedup: c.torch / c.poet };
  }
  const saved = 1 - dpo.poet!.poet / dpo.none!.poet;
  console.log(`  POET saves ${(100 * saved).toFixed(0)}% of poet's DPO epoch time on these pairs (completions uniform 16..160 tokens)`);

  writeFileSync(join(WORK, "results.json"), JSON.stringify({ threads: THREADS, peak_gflops: PEAK, results }, null, 2));
  console.log(`\n(results also in ${join(WORK, "results.json")}; %peak assumes ${PEAK} GFLOP/s, set POET_PEAK_GFLOPS)`);
}

main();
