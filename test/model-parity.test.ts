// Whole-model parity with PyTorch (llm.c's method): tools/make_fixtures.py wrote tiny GPT-2, Llama, Qwen2 (tied)
// and bf16 sharded Llama checkpoints with float64 logits, pair log-probs (with and without POET) and every
// parameter's gradient. We load the same files and must agree: to ~1e-9 in float64 on the portable backend, to
// a relative 1e-4 in float32 on the native backend.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { nativeBackend } from "../src/engine/backends/native.js";
import { portableBackend } from "../src/engine/backends/portable.js";
import type { Backend } from "../src/engine/kernels.js";
import { Tape } from "../src/engine/tape.js";
import { loadPairs } from "../src/data/load-pairs.js";
import { loadModel } from "../src/models/load.js";
import { pairLogps } from "../src/models/pair-logps.js";
import { readSafetensors } from "../src/models/safetensors.js";
import { logits, packForScoring, pairSequences, sumPerSequence, tokenLogprobs } from "../src/models/scoring.js";

const FIX = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
const FIXTURES = ["gpt2", "llama", "qwen2", "llama-bf16-sharded"];
const native = nativeBackend();

interface Expected {
  none: { chosen_logps: number; rejected_logps: number; chosen_tokens: number; rejected_tokens: number }[];
  poet: Expected["none"];
}

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
}

async function setup(name: string, backend: Backend) {
  const dir = join(FIX, name);
  const model = loadModel(join(dir, "model"), backend);
  const { pairs } = await loadPairs(join(dir, "pairs.jsonl"), { modelDir: join(dir, "model"), vocabSize: model.vocabSize });
  const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;
  return { dir, model, pairs, expected };
}

const backends: [string, Backend | null, number][] = [
  ["portable float64", portableBackend("float64"), 1e-9],
  ["native float32", native, 1e-4],
];

for (const name of FIXTURES) {
  for (const [bname, backend, tol] of backends) {
    const skip = backend ? false : "native addon not built";
    test(`${name} (${bname}): pair log-probs = PyTorch, truncation none and poet`, { skip }, async () => {
      const { model, pairs, expected } = await setup(name, backend!);
      for (const mode of ["none", "poet"] as const) {
        const got = pairLogps(model, pairs, { truncation: mode, batchTokens: 40 });
        assert.equal(got.length, expected[mode].length);
        got.forEach((g, i) => {
          const e = expected[mode][i]!;
          assert.equal(g.chosen_tokens, e.chosen_tokens, `${mode} pair ${i} chosen tokens`);
          assert.equal(g.rejected_tokens, e.rejected_tokens, `${mode} pair ${i} rejected tokens`);
          assert.ok(rel(g.chosen_logps, e.chosen_logps) < tol, `${mode} pair ${i} chosen: ${g.chosen_logps} vs ${e.chosen_logps}`);
          assert.ok(rel(g.rejected_logps, e.rejected_logps) < tol, `${mode} pair ${i} rejected: ${g.rejected_logps} vs ${e.rejected_logps}`);
        });
      }
    });

    test(`${name} (${bname}): logits = PyTorch`, { skip }, async () => {
      const { dir, model } = await setup(name, backend!);
      const ref = readSafetensors(join(dir, "logits.safetensors"), { dtype: "float64" });
      const ids = Int32Array.from(ref.get("input_ids")!.data);
      const want = ref.get("logits")!.data;
      const got = logits(model, new Tape(backend!, false), { ids, pos: Int32Array.from(ids, (_, i) => i), seg: { cu: Int32Array.from([0, ids.length]), nseq: 1 } });
      assert.equal(got.size, want.length);
      let scale = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < want.length; i++)
        assert.ok(Math.abs(got.data[i]! - want[i]!) <= tol * scale, `logit ${i}: ${got.data[i]} vs ${want[i]}`);
    });

    test(`${name} (${bname}): every parameter's gradient = PyTorch`, { skip }, async () => {
      const { dir, model, pairs } = await setup(name, backend!);
      for (const p of model.params.values()) p.t.requiresGrad = true;
      const seqs = pairSequences(pairs);
      const sb = packForScoring(seqs);
      const tape = new Tape(backend!, true);
      const lp = tokenLogprobs(model, tape, sb);
      // L = sum over pairs (chosen - 0.5 rejected): seed d L / d logp per scored token
      lp.grad = backend!.from(Array.from(sb.seqOfRow, (s) => (s % 2 === 0 ? 1 : -0.5)));
      const sums = sumPerSequence(lp.data, sb);
      let loss = 0;
      sums.forEach((v, s) => (loss += s % 2 === 0 ? v : -0.5 * v));
      tape.backward();
      const ref = readSafetensors(join(dir, "grads.safetensors"), { dtype: "float64" });
      assert.ok(rel(loss, ref.get("loss")!.data[0]!) < tol, `loss ${loss} vs ${ref.get("loss")!.data[0]}`);
      const names = [...ref.keys()].filter((k) => k !== "loss");
      assert.deepEqual([...model.params.keys()].sort(), names.sort(), "parameter names");
      for (const n of names) {
        const p = model.params.get(n)!, want = ref.get(n)!.data;
        assert.ok(p.t.grad, `${n}: no gradient`);
        const [r, c] = p.t.shape as [number, number];
        let num = 0, den = 0;
        for (let i = 0; i < want.length; i++) {
          // HF layout index i -> engine index (transposed for GPT-2 Conv1D)
          const j = p.transposed ? (i % r) * c + Math.floor(i / r) : i;
          num += (p.t.grad[j]! - want[i]!) ** 2;
          den += want[i]! ** 2;
        }
        assert.ok(den > 0, `${n}: reference gradient is zero`);
        assert.ok(Math.sqrt(num / den) < tol, `${n}: relative gradient error ${Math.sqrt(num / den)}`);
      }
    });
  }
}
