// Saving writes the Hugging Face layout back: same names, shapes and (transposed-back) values as the checkpoint
// that was loaded, tied heads not duplicated, sharded when asked, and it loads again to the same log-probs.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { portableBackend } from "../src/engine/backends/portable.js";
import { loadPairs } from "../src/data/load-pairs.js";
import { loadModel, saveModel } from "../src/models/load.js";
import { pairLogps } from "../src/models/pair-logps.js";
import { loadCheckpointWeights } from "../src/models/safetensors.js";

const FIX = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
const b = portableBackend("float32");

for (const name of ["gpt2", "qwen2", "llama-bf16-sharded"]) {
  test(`${name}: save reproduces the checkpoint's tensors and log-probs`, async () => {
    const src = join(FIX, name, "model");
    const model = loadModel(src, b);
    const out = mkdtempSync(join(tmpdir(), "poet-save-"));
    const bf16 = name.includes("bf16");
    saveModel(model, out, bf16 ? { dtype: "BF16", maxShardBytes: 40000 } : {});
    const a = loadCheckpointWeights(src).tensors, c = loadCheckpointWeights(out).tensors;
    assert.deepEqual([...c.keys()].sort(), [...a.keys()].sort(), "same tensor names (no duplicated tied head)");
    for (const [k, t] of a) {
      assert.deepEqual(c.get(k)!.shape, t.shape, k);
      assert.deepEqual(c.get(k)!.data, t.data, `${k} values`);
    }
    if (bf16) assert.ok(readdirSync(out).includes("model.safetensors.index.json"), "sharded");
    const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    assert.equal(cfg.model_type, model.modelType);
    assert.equal(cfg.torch_dtype, bf16 ? "bfloat16" : "float32");
    const { pairs } = await loadPairs(join(FIX, name, "pairs.jsonl"), { modelDir: src, vocabSize: model.vocabSize });
    assert.deepEqual(pairLogps(loadModel(out, b), pairs, { truncation: "none" }), pairLogps(model, pairs, { truncation: "none" }));
  });
}
