// The reward-generation-gap measurements: per-position cross-entropy, reward by prefix length (consistent with the
// full-sequence metrics at large k, zero margin against itself) and prefix quality (greedy base continuing its own
// prefix reproduces its own answer, so quality is flat in k).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadPairs } from "../src/data/load-pairs.js";
import { perPositionCE, prefixQuality, rewardByPrefix, tokenLogps } from "../src/eval/analyze.js";
import { loadModel } from "../src/models/load.js";
import { pairLogps } from "../src/models/pair-logps.js";

const FIX = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));

test("per-position cross-entropy averages -log p over the responses long enough", () => {
  const lp = { chosen: [Float64Array.from([-1, -2]), Float64Array.from([-3])], rejected: [Float64Array.from([-0.5, -0.5, -4]), Float64Array.from([-1.5])] };
  assert.deepEqual(perPositionCE(lp, 10), [
    { position: 0, chosen: 2, rejected: 1, count: 2 },
    { position: 1, chosen: 2, rejected: 0.5, count: 1 },
    { position: 2, chosen: NaN, rejected: 4, count: 0 },
  ]);
});

test("reward by prefix: zero margin against itself; at full length it is the sequence-level DPO margin", async () => {
  const dir = join(FIX, "llama", "model");
  const policy = loadModel(dir), ref = loadModel(join(FIX, "train", "ref-llama"));
  const { pairs } = await loadPairs(join(FIX, "llama", "pairs.jsonl"), { modelDir: dir, vocabSize: policy.vocabSize });
  const p = tokenLogps(policy, pairs), r = tokenLogps(ref, pairs);
  for (const x of rewardByPrefix(p, p, 0.1, [1, 4, 100])) assert.equal(x.margin, 0);
  const full = rewardByPrefix(p, r, 0.1, [1000])[0]!;
  const a = pairLogps(policy, pairs, { truncation: "none" }), b = pairLogps(ref, pairs, { truncation: "none" });
  const want = a.reduce((s, x, i) => s + 0.1 * ((x.chosen_logps - b[i]!.chosen_logps) - (x.rejected_logps - b[i]!.rejected_logps)), 0) / a.length;
  assert.ok(Math.abs(full.margin - want) < 1e-4 * Math.abs(want), `${full.margin} vs ${want}`);
  const perPos = perPositionCE(p);
  assert.ok(perPos.length > 0 && perPos.every((x) => x.count === 0 || x.chosen > 0));
});

test("prefix quality is flat when the base model continues its own greedy answer", () => {
  const model = loadModel(join(FIX, "llama", "model"));
  const prompts = [[1, 2, 3], [7, 8], [20, 21, 22, 23]];
  const score = (cs: number[][]) => cs.map((c) => c.filter((t) => t % 2 === 0).length);
  const q = prefixQuality(model, model, prompts, [0, 2, 5, 8], score, { maxNewTokens: 8, seed: 1, eosIds: [], temperature: 0 });
  assert.equal(q.length, 4);
  for (const x of q) assert.equal(x.score, q[0]!.score, `k=${x.k}`);
});
