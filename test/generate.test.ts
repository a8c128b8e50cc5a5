// Generation: greedy decoding with the KV cache equals a plain argmax loop computed by PyTorch (float64, whole
// sequence re-fed each step) on GPT-2, Llama and Qwen2 checkpoints, and equals our own argmax loop without a cache;
// EOS stops a sequence; sampling is seeded and top-k 1 / tiny top-p reduce to greedy.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { nativeBackend } from "../src/engine/backends/native.js";
import { portableBackend } from "../src/engine/backends/portable.js";
import type { Backend } from "../src/engine/kernels.js";
import { Tape } from "../src/engine/tape.js";
import { generate, sampleToken, type GenerateOptions } from "../src/eval/generate.js";
import { mulberry32 } from "../src/engine/random.js";
import { loadModel } from "../src/models/load.js";
import type { CausalLM } from "../src/models/model.js";
import { logits } from "../src/models/scoring.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIX = join(ROOT, "test", "fixtures");
const native = nativeBackend();
const greedy = (n: number, eos: number[] = []): GenerateOptions => ({ maxNewTokens: n, temperature: 0, topP: 1, topK: 0, seed: 0, eosIds: eos, batchSize: 4 });

function argmaxLoop(model: CausalLM, prompt: readonly number[], n: number): number[] {
  const ids = [...prompt], out: number[] = [];
  for (let s = 0; s < n; s++) {
    const lg = logits(model, new Tape(model.backend, false), { ids: Int32Array.from(ids), pos: Int32Array.from(ids, (_, i) => i), seg: { cu: Int32Array.from([0, ids.length]), nseq: 1 } });
    const V = model.vocabSize, o = (ids.length - 1) * V;
    let best = 0;
    for (let j = 1; j < V; j++) if (lg.data[o + j]! > lg.data[o + best]!) best = j;
    out.push(best);
    ids.push(best);
  }
  return out;
}

for (const name of ["gpt2", "llama", "qwen2"]) {
  for (const [bname, b] of [["native", native], ["portable float64", portableBackend("float64")]] as [string, Backend | null][]) {
    test(`greedy generate = PyTorch argmax loop: ${name} (${bname})`, { skip: b ? false : "native addon not built" }, () => {
      const fx = JSON.parse(readFileSync(join(FIX, name, "greedy.json"), "utf8")) as { max_new_tokens: number; prompts: number[][]; completions: number[][] };
      const model = loadModel(join(FIX, name, "model"), b!);
      assert.deepEqual(generate(model, fx.prompts, greedy(fx.max_new_tokens)), fx.completions);
    });
  }
}

test("KV-cache decoding equals re-feeding the whole sequence, across a batch of different prompt lengths", () => {
  const model = loadModel(join(ROOT, "examples", "tiny-gpt2"));
  const prompts = [[464, 3807, 373], [40], [1212, 318, 257, 1332, 286, 262, 1080], [15496, 995]];
  const got = generate(model, prompts, greedy(10));
  prompts.forEach((p, i) => assert.deepEqual(got[i], argmaxLoop(model, p, 10), `prompt ${i}`));
});

test("EOS stops a sequence and is kept; others go on", () => {
  const model = loadModel(join(FIX, "llama", "model"));
  const prompts = [[1, 2, 3], [4, 5]];
  const free = generate(model, prompts, greedy(6));
  const stop = free[0]![2]!;
  const got = generate(model, prompts, greedy(6, [stop]));
  assert.deepEqual(got[0], free[0]!.slice(0, free[0]!.indexOf(stop) + 1));
  const cut = free[1]!.indexOf(stop);
  assert.deepEqual(got[1], cut >= 0 ? free[1]!.slice(0, cut + 1) : free[1]);
});

test("sampling is seeded; top-k 1 and a tiny top-p are greedy", () => {
  const model = loadModel(join(FIX, "llama", "model"));
  const prompts = [[1, 2, 3], [9, 8, 7, 6]];
  const sample = (o: Partial<GenerateOptions>) => generate(model, prompts, { ...greedy(8), temperature: 1, ...o });
  assert.deepEqual(sample({ seed: 5 }), sample({ seed: 5 }));
  assert.notDeepEqual(sample({ seed: 5 }), sample({ seed: 6 }));
  assert.deepEqual(sample({ topK: 1 }), generate(model, prompts, greedy(8)));
  assert.deepEqual(sample({ topP: 1e-9 }), generate(model, prompts, greedy(8)));
});

test("sampleToken: the one-pass sampler and the sorted (top-k, top-p) path both draw from softmax(logits / T)", () => {
  const V = 7, T = 0.7;
  const row = new Float32Array([0.3, -1.2, 2.0, 2.0, -Infinity, 0.9, -0.4]);
  const w = Array.from(row, (x) => Math.exp(x / T)), z = w.reduce((a, b) => a + b, 0);
  const want = w.map((x) => x / z);
  const draws = 40_000;
  for (const topK of [0, V]) {
    const u = mulberry32(17), counts = new Array<number>(V).fill(0);
    const opt = { maxNewTokens: 1, temperature: T, topP: 1, topK, seed: 0, eosIds: [] };
    for (let i = 0; i < draws; i++) counts[sampleToken(row, V, 0, opt, u)]!++;
    counts.forEach((c, j) => assert.ok(Math.abs(c / draws - want[j]!) < 0.01, `topK ${topK}, token ${j}: ${c / draws} vs ${want[j]}`));
    assert.equal(counts[4], 0, "a -Infinity logit is never drawn");
  }
  // top-k 2 keeps the two largest (a tie: both 2.0); top-k 1 on a tie keeps the lower id, as torch.topk/argmax
  const u = mulberry32(3), seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(sampleToken(row, V, 0, { maxNewTokens: 1, temperature: 1, topP: 1, topK: 2, seed: 0, eosIds: [] }, u));
  assert.deepEqual([...seen].sort(), [2, 3]);
  assert.equal(sampleToken(row, V, 0, { maxNewTokens: 1, temperature: 1, topP: 1, topK: 1, seed: 0, eosIds: [] }, u), 2);
  // top-p: with p(2) = p(3) ~ 0.33 each at T = 1, top_p 0.5 keeps exactly those two
  const seenP = new Set<number>();
  for (let i = 0; i < 2000; i++) seenP.add(sampleToken(row, V, 0, { maxNewTokens: 1, temperature: 1, topP: 0.5, topK: 0, seed: 0, eosIds: [] }, u));
  assert.deepEqual([...seenP].sort(), [2, 3]);
  // logits at a row offset: a negative-only row, offset into a larger buffer
  const buf = new Float32Array([9, 9, -3, -1, -2]);
  assert.equal(sampleToken(buf, 3, 2, { maxNewTokens: 1, temperature: 1, topP: 1, topK: 1, seed: 0, eosIds: [] }, u), 1);
});

test("sampleToken, top-p alone: exactly the nucleus of the sorted vocabulary, drawn in proportion", () => {
  const V = 300, T = 0.8, topP = 0.9, u0 = mulberry32(21);
  const row = Float32Array.from({ length: V }, () => 3 * (u0() - 0.5) + (u0() < 0.05 ? 3 : 0));
  // reference: sort everything, keep tokens while the mass before them is below top_p, renormalise
  const order = Array.from({ length: V }, (_, j) => j).sort((a, b) => row[b]! - row[a]! || a - b);
  const w = order.map((j) => Math.exp(row[j]! / T)), z = w.reduce((a, b) => a + b, 0);
  let c = 0, n = 0;
  while (n < V && !(n > 0 && c >= topP)) c += w[n++]! / z;
  const nucleus = new Map(order.slice(0, n).map((j, i) => [j, w[i]!]));
  const zn = [...nucleus.values()].reduce((a, b) => a + b, 0);
  assert.ok(n > 20 && n < V - 20, `a nucleus of ${n} tokens tests the cut`);
  const draws = 60_000, counts = new Map<number, number>(), u = mulberry32(4);
  const opt = { maxNewTokens: 1, temperature: T, topP, topK: 0, seed: 0, eosIds: [] };
  for (let i = 0; i < draws; i++) {
    const t = sampleToken(row, V, 0, opt, u);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  for (const t of counts.keys()) assert.ok(nucleus.has(t), `token ${t} is outside the nucleus`);
  for (const [t, wt] of nucleus) {
    const want = wt / zn, got = (counts.get(t) ?? 0) / draws;
    assert.ok(Math.abs(got - want) < 4 * Math.sqrt(want / draws) + 1e-3, `token ${t}: ${got} vs ${want}`);
  }
});
