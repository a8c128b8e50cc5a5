// The `poet` CLI as a user meets it: help texts with examples, a real logps run, and every user error printed as
// one line naming the file or flag, exit code 2, no stack trace.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, truncateSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const FIX = join(ROOT, "test", "fixtures");

function poet(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function userError(r: ReturnType<typeof poet>, ...needles: string[]) {
  assert.equal(r.code, 2, `exit code 2 expected, got ${r.code}: ${r.err}`);
  assert.match(r.err, /^poet: error: /);
  assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace for user errors");
  for (const n of needles) assert.ok(r.err.includes(n), `message should mention ${n}: ${r.err}`);
}

test("poet --help lists the commands with an example; each command's --help has one", () => {
  const top = poet("--help");
  assert.equal(top.code, 0);
  assert.match(top.out, /Commands:/);
  assert.match(top.out, /Examples:/);
  for (const cmd of ["train", "eval", "generate", "logps", "env"]) {
    const h = poet(cmd, "--help");
    assert.equal(h.code, 0, cmd);
    assert.match(h.out, new RegExp(`^poet ${cmd}:`));
    assert.match(h.out, /Examples?:\n\s+poet /, `${cmd} --help has an example`);
  }
});

test("poet env names the backend and threads; --json parses", () => {
  const r = poet("env", "--json");
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { backend: string; threads: number; libraries: string[] };
  assert.ok(["native", "portable"].includes(j.backend));
  assert.ok(j.threads >= 1);
  assert.ok(j.libraries.length > 0);
});

test("poet logps writes one line per pair matching the PyTorch fixture (llama, poet truncation)", () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-cli-"));
  const out = join(dir, "sub", "out.jsonl");
  const r = poet("logps", "--model", join(FIX, "llama", "model"), "--data", join(FIX, "llama", "pairs.jsonl"),
    "--truncation", "poet", "--output", out);
  assert.equal(r.code, 0, r.err);
  const got = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const want = JSON.parse(readFileSync(join(FIX, "llama", "expected.json"), "utf8")).poet;
  assert.equal(got.length, want.length);
  got.forEach((g: Record<string, number>, i: number) => {
    assert.deepEqual(Object.keys(g).sort(), ["chosen_logps", "chosen_tokens", "rejected_logps", "rejected_tokens"]);
    assert.ok(Math.abs(g.chosen_logps! - want[i].chosen_logps) < 1e-4 * Math.abs(want[i].chosen_logps));
    assert.equal(g.rejected_tokens, want[i].rejected_tokens);
  });
});

test("user errors: flags", () => {
  userError(poet("logps", "--modle", "x"), "--modle", "did you mean --model?");
  userError(poet("logps", "--data", "x", "--output", "y"), "--model is required");
  userError(poet("logps", "--model", "m", "--data", "d", "--output", "o", "--truncation", "half"), "--truncation", "none, poet");
  userError(poet("frobnicate"), "unknown command", "logps");
});

test("user errors: model directories", () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-cli-"));
  const data = join(FIX, "llama", "pairs.jsonl");
  const run = (m: string) => poet("logps", "--model", m, "--data", data, "--output", join(dir, "o.jsonl"));
  userError(run(join(dir, "nope")), "no such model directory");

  const bad = join(dir, "bert");
  cpSync(join(FIX, "llama", "model"), bad, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(bad, "config.json"), "utf8"));
  writeFileSync(join(bad, "config.json"), JSON.stringify({ ...cfg, model_type: "bert" }));
  userError(run(bad), "config.json", "bert", "gpt2, llama, mistral, qwen2");

  const cut = join(dir, "truncated");
  cpSync(join(FIX, "llama", "model"), cut, { recursive: true });
  const st = join(cut, "model.safetensors");
  truncateSync(st, statSync(st).size - 100);
  userError(run(cut), "model.safetensors", "truncated or corrupt");

  const miss = join(dir, "missing-weight");
  cpSync(join(FIX, "llama", "model"), miss, { recursive: true });
  writeFileSync(join(miss, "config.json"), JSON.stringify({ ...cfg, num_hidden_layers: 3 }));
  userError(run(miss), "model.layers.2", "missing");
});

test("user errors: data rows name file and line", () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-cli-"));
  const data = join(dir, "bad.jsonl");
  writeFileSync(data, '{"prompt_input_ids":[1],"chosen_input_ids":[2],"rejected_input_ids":[3]}\n' +
    '{"prompt_input_ids":[1],"chosen_input_ids":[999],"rejected_input_ids":[3]}\n');
  const args = ["logps", "--model", join(FIX, "llama", "model"), "--data", data, "--output", join(dir, "o.jsonl")];
  userError(poet(...args), "bad.jsonl:2", "999", "vocabulary");
  const skipped = poet(...args, "--skip-invalid-rows");
  assert.equal(skipped.code, 0, skipped.err);
  assert.match(skipped.err, /skipped 1 invalid row/);
  assert.equal(readFileSync(join(dir, "o.jsonl"), "utf8").trim().split("\n").length, 1);

  writeFileSync(data, '{"prompt_input_ids":[],"chosen_input_ids":[2],"rejected_input_ids":[3]}\n');
  userError(poet(...args), "bad.jsonl:1", "empty prompt");
});

test("poet generate writes completions (ids and text) for text prompts; a row without a prompt names its line", () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-gen-"));
  const out = join(dir, "gen.jsonl");
  const r = poet("generate", "--model", join(ROOT, "examples", "tiny-gpt2"), "--data", join(ROOT, "examples", "pairs.jsonl"),
    "--output", out, "--temperature", "0", "--max-new-tokens", "5");
  assert.equal(r.code, 0, r.err);
  const rows = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(rows.length, 16);
  for (const row of rows) {
    assert.equal(row.completion_input_ids.length, 5);
    assert.equal(typeof row.completion, "string");
    assert.equal(typeof row.prompt, "string");
  }
  const bad = join(dir, "bad.jsonl");
  writeFileSync(bad, '{"prompt":"fine"}\n{"text":"no prompt here"}\n');
  userError(poet("generate", "--model", join(ROOT, "examples", "tiny-gpt2"), "--data", bad, "--output", out), "bad.jsonl:2", "no prompt");
  userError(poet("generate", "--model", join(ROOT, "examples", "tiny-gpt2"), "--data", bad, "--output", out, "--top-p", "2"), "--top-p");
});
