// The training loop end to end on the tiny fixture checkpoints: it learns the preferences, writes TRL-named
// metrics and an HF-layout model, and a run interrupted after a checkpoint resumes to bit-identical weights.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { train, type TrainOptions } from "../src/train/trainer.js";

const FIX = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));
process.env.POET_CACHE_DIR = mkdtempSync(join(tmpdir(), "poet-cache-"));

function options(out: string, over: Partial<TrainOptions> = {}): TrainOptions {
  return {
    modelDir: join(FIX, "llama", "model"), refModelDir: null, dataFile: join(FIX, "llama", "pairs.jsonl"),
    evalDataFile: null, evalFraction: 0, outputDir: out, loss: "dpo", truncation: { mode: "none" },
    lossConfig: { beta: 0.1, labelSmoothing: 0, simpoGamma: 0, rpoAlpha: 0 },
    learningRate: 3e-3, lrSchedulerType: "constant", warmupRatio: 0, warmupSteps: 0, adamBeta1: 0.9, adamBeta2: 0.999,
    adamEpsilon: 1e-8, weightDecay: 0, maxGradNorm: 1, perDeviceTrainBatchSize: 2, perDeviceEvalBatchSize: 8,
    gradientAccumulationSteps: 1, numTrainEpochs: 3, maxSteps: -1, saveSteps: 0, saveTotalLimit: 0, evalSteps: 0,
    loggingSteps: 1, seed: 42, maxLength: null, maxPromptLength: null, skipInvalidRows: false, resumeFromCheckpoint: null,
    ...over,
  };
}

const quiet = () => {};

for (const [loss, truncation] of [["dpo", "none"], ["dpo", "poet"], ["simpo", "poet"]] as const) {
  test(`${loss} (${truncation}) learns the fixture's preferences and logs TRL's metric names`, async () => {
    const out = mkdtempSync(join(tmpdir(), "poet-train-"));
    const lossConfig = { beta: loss === "simpo" ? 2 : 0.5, labelSmoothing: 0, simpoGamma: loss === "simpo" ? 1 : 0, rpoAlpha: 0 };
    const r = await train(options(out, { loss, truncation: { mode: truncation }, lossConfig, numTrainEpochs: 8, perDeviceTrainBatchSize: 6 }), quiet);
    assert.equal(r.globalStep, 8);
    const lines = readFileSync(join(out, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    for (const k of ["loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "grad_norm", "learning_rate", "tokens_per_second", "step", "epoch"])
      assert.ok(k in lines[0], `log has ${k}`);
    assert.ok(lines.at(-1).loss < lines[0].loss, `loss falls: ${lines[0].loss} -> ${lines.at(-1).loss}`);
    assert.ok(lines.at(-1)["rewards/margins"] > lines[0]["rewards/margins"]);
    assert.ok(existsSync(join(out, "model.safetensors")) && existsSync(join(out, "config.json")));
  });
}

test("a run stopped after a checkpoint resumes to bit-identical weights", async () => {
  const full = mkdtempSync(join(tmpdir(), "poet-full-")), cut = mkdtempSync(join(tmpdir(), "poet-cut-"));
  const over: Partial<TrainOptions> = { numTrainEpochs: 3, gradientAccumulationSteps: 2, perDeviceTrainBatchSize: 1, saveSteps: 2, saveTotalLimit: 2, lrSchedulerType: "cosine", warmupRatio: 0.2 };
  await train(options(full, over), quiet);
  await assert.rejects(train(options(cut, over), quiet, (s) => {
    if (s.globalStep === 5) throw new Error("simulated crash");
  }), /simulated crash/);
  assert.deepEqual(readdirSync(cut).filter((n) => n.startsWith("checkpoint-")).sort(), ["checkpoint-2", "checkpoint-4"]);
  assert.ok(!existsSync(join(cut, "model.safetensors")), "no final model from the crashed run");
  await train(options(cut, { ...over, resumeFromCheckpoint: "latest" }), quiet);
  assert.deepEqual(readFileSync(join(cut, "model.safetensors")), readFileSync(join(full, "model.safetensors")));
});

test("the trained model directory and checkpoints carry the tokenizer, so text data works on them", async () => {
  const out = mkdtempSync(join(tmpdir(), "poet-tok-"));
  const root = fileURLToPath(new URL("../../", import.meta.url));
  await train(options(out, { modelDir: join(root, "examples", "tiny-gpt2"), dataFile: join(root, "examples", "pairs.jsonl"), maxSteps: 2, saveSteps: 1, perDeviceTrainBatchSize: 2 }), quiet);
  for (const d of [out, join(out, "checkpoint-2")])
    for (const f of ["tokenizer.json", "tokenizer_config.json", "config.json", "model.safetensors"]) assert.ok(existsSync(join(d, f)), `${d}/${f}`);
});
