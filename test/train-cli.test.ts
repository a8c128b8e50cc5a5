// `poet train` and `poet eval` as processes: eval --json equals PyTorch's metrics, a run killed with SIGKILL and
// resumed from `latest` ends bit-identical to an uninterrupted one, the paper's YAML runs with only model, data
// and output changed, and bad input stops before training with file and line.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const FIX = join(ROOT, "test", "fixtures");
const env = { ...process.env, POET_CACHE_DIR: mkdtempSync(join(tmpdir(), "poet-cache-")) };

function poet(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("train and eval explain themselves with examples", () => {
  for (const cmd of ["train", "eval"]) {
    const h = poet(cmd, "--help");
    assert.equal(h.code, 0);
    assert.match(h.out, /Examples:\n\s+poet /);
    assert.match(h.out, /--learning-rate/);
  }
});

for (const [file, extra] of [
  ["eval-llama-dpo-poet-ref.json", ["--loss", "dpo", "--beta", "0.1", "--truncation", "poet", "--ref-model", join(FIX, "train", "ref-llama")]],
  ["eval-gpt2-dpo-none-ref.json", ["--loss", "dpo", "--beta", "0.1", "--ref-model", join(FIX, "train", "ref-gpt2")]],
  ["eval-gpt2-simpo-poet.json", ["--loss", "simpo", "--beta", "2", "--gamma-beta-ratio", "0.5", "--truncation", "poet"]],
] as const) {
  test(`poet eval --json = PyTorch (${file})`, () => {
    const fx = JSON.parse(readFileSync(join(FIX, "train", file), "utf8"));
    const r = poet("eval", "--model", join(ROOT, fx.model), "--data", join(ROOT, fx.data), ...extra, "--json");
    assert.equal(r.code, 0, r.err);
    const got = JSON.parse(r.out);
    for (const [k, v] of Object.entries(fx.metrics as Record<string, number>))
      assert.ok(Math.abs(got[k] - v) <= 1e-4 * Math.max(1, Math.abs(v)), `${k}: ${got[k]} vs ${v}`);
  });
}

const trainArgs = (out: string) => ["train", "--model", join(FIX, "llama", "model"), "--data", join(FIX, "llama", "pairs.jsonl"),
  "--output-dir", out, "--loss", "dpo", "--truncation", "poet", "--learning-rate", "1e-3", "--per-device-train-batch-size", "1",
  "--max-steps", "600", "--save-steps", "25", "--save-total-limit", "3", "--lr-scheduler-type", "cosine", "--warmup-ratio", "0.1",
  "--logging-steps", "50"];

test("a run killed with SIGKILL resumes from latest to bit-identical weights", async () => {
  const full = mkdtempSync(join(tmpdir(), "poet-full-")), cut = mkdtempSync(join(tmpdir(), "poet-kill-"));
  const a = poet(...trainArgs(full));
  assert.equal(a.code, 0, a.err);
  const child = spawn(process.execPath, [CLI, ...trainArgs(cut)], { cwd: ROOT, env, stdio: "ignore" });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on("exit", (_c, sig) => res(sig)));
  for (let i = 0; i < 20000 && !existsSync(join(cut, "checkpoint-100")); i++) await new Promise((r) => setTimeout(r, 2));
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL", "the run was killed mid-way");
  assert.ok(!existsSync(join(cut, "model.safetensors")), "no final model yet");
  for (const d of readdirSync(cut).filter((n) => n.startsWith("checkpoint-")))
    assert.ok(existsSync(join(cut, d, "trainer_state.json")) && existsSync(join(cut, d, "model.safetensors")), `${d} is complete`);
  const b = poet(...trainArgs(cut), "--resume-from-checkpoint", "latest");
  assert.equal(b.code, 0, b.err);
  assert.match(b.err, /resumed from .*checkpoint-\d+/);
  assert.ok(readFileSync(join(cut, "model.safetensors")).equals(readFileSync(join(full, "model.safetensors"))), "bit-identical");
  assert.ok(readdirSync(cut).filter((n) => n.startsWith("checkpoint-")).length <= 3, "save-total-limit");
});

test("the paper's SimPO+POET YAML runs with only model, data and output dir changed", () => {
  const out = mkdtempSync(join(tmpdir(), "poet-yaml-"));
  const r = poet("train", "--config", join(FIX, "configs", "poet", "llama-3-8b-base-simpo-poet.yaml"),
    "--model", join(FIX, "llama", "model"), "--data", join(FIX, "llama", "pairs.jsonl"), "--output-dir", out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /ignoring \d+ keys/);
  assert.match(r.err, /training simpo \(truncation poet\)/);
  assert.ok(existsSync(join(out, "model.safetensors")));
});

test("bad input stops before training, naming file and line; a failed run leaves the output model intact", () => {
  const out = mkdtempSync(join(tmpdir(), "poet-bad-"));
  const ok = poet("train", "--model", join(FIX, "llama", "model"), "--data", join(FIX, "llama", "pairs.jsonl"), "--output-dir", out, "--max-steps", "1");
  assert.equal(ok.code, 0, ok.err);
  const before = readFileSync(join(out, "model.safetensors"));
  const bad = join(out, "bad.jsonl");
  writeFileSync(bad, readFileSync(join(FIX, "llama", "pairs.jsonl"), "utf8") + '{"prompt_input_ids":[1],"chosen_input_ids":[-3],"rejected_input_ids":[2]}\n');
  const r = poet("train", "--model", join(FIX, "llama", "model"), "--data", bad, "--output-dir", out);
  assert.equal(r.code, 2);
  assert.match(r.err, /bad\.jsonl:7/);
  assert.doesNotMatch(r.err, /\n\s+at /);
  assert.ok(readFileSync(join(out, "model.safetensors")).equals(before), "existing model untouched");
  const u = poet("train", "--model", join(FIX, "llama", "model"), "--data", bad, "--output-dir", out, "--los", "dpo");
  assert.equal(u.code, 2);
  assert.match(u.err, /did you mean --loss/);
  const nan = poet("train", "--model", join(FIX, "llama", "model"), "--data", join(FIX, "llama", "pairs.jsonl"), "--output-dir", out, "--learning-rate", "1e30", "--max-grad-norm", "0", "--max-steps", "5");
  assert.equal(nan.code, 2, nan.err);
  assert.match(nan.err, /non-finite .* step \d+/);
});
