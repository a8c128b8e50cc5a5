// The Bradley-Terry reward model: the pair loss and its gradient in closed form, the gradient through a whole model
// by finite differences in float64, save/load (scores identical), and a tiny reward model trained to tell pairs
// apart by one word, to accuracy 1 on held-out pairs.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { portableBackend } from "../src/engine/backends/portable.js";
import { Tape } from "../src/engine/tape.js";
import type { EncodedPair } from "../src/data/types.js";
import { REWARD_TRAIN_DEFAULTS, bradleyTerryLoss, rewardLossStep, trainRewardModel } from "../src/eval/reward-model-train.js";
import { initRewardModel, isRewardModelDir, loadRewardModel, rewardModelFromBackbone, saveRewardModel, scoreSequences } from "../src/eval/reward-model.js";
import { initModel } from "../src/models/load.js";
import { rewardCommand } from "../src/cli/reward.js";
import { UserError } from "../src/errors.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MODEL = join(ROOT, "examples", "tiny-gpt2");
let tmp = "";
before(() => (tmp = mkdtempSync(join(tmpdir(), "poet-rm-"))));
after(() => rmSync(tmp, { recursive: true, force: true }));

const close = (a: number, b: number, tol: number, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

test("Bradley-Terry loss: closed-form values and gradient (finite differences)", () => {
  const r = bradleyTerryLoss([1, 0]);
  close(r.loss, Math.log(1 + Math.exp(-1)), 1e-15, "-log sigmoid(1)");
  assert.equal(r.accuracy, 1);
  assert.equal(r.margin, 1);
  close(r.dRewards[0]!, -1 / (1 + Math.exp(1)), 1e-15, "dL/dr_c = -sigmoid(-m)");
  close(r.dRewards[1]!, 1 / (1 + Math.exp(1)), 1e-15);
  // a batch with centring: every derivative against central differences
  const rewards = [0.3, -1.2, 2.5, 2.4, -0.7, 0.9, 40, -35];
  for (const center of [0, 0.01]) {
    const g = bradleyTerryLoss(rewards, center).dRewards;
    rewards.forEach((_, i) => {
      const h = 1e-6, up = [...rewards], dn = [...rewards];
      up[i]! += h;
      dn[i]! -= h;
      close(g[i]!, (bradleyTerryLoss(up, center).loss - bradleyTerryLoss(dn, center).loss) / (2 * h), 1e-8, `r${i} c=${center}`);
    });
  }
  const m = bradleyTerryLoss([0, 1, 2, 2]);
  assert.equal(m.accuracy, 0); // a tie is not correct, as TRL counts r_c > r_r
  close(m.margin, -0.5, 1e-15);
});

test("reward model gradient through the whole model matches finite differences (float64)", () => {
  const b = portableBackend("float64");
  const config = { model_type: "gpt2", vocab_size: 40, n_positions: 32, n_embd: 8, n_layer: 1, n_head: 2, n_inner: null,
    activation_function: "gelu_new", layer_norm_epsilon: 1e-5, eos_token_id: 1, tie_word_embeddings: true, initializer_range: 0.3 };
  const rm = rewardModelFromBackbone(initModel(config, 11, b), 12);
  const src = { file: "t", line: 1 };
  const pairs: EncodedPair[] = [
    { promptIds: [2, 3, 4], chosenIds: [5, 6, 1], rejectedIds: [7, 1], source: src },
    { promptIds: [8], chosenIds: [9, 10, 11, 1], rejectedIds: [12, 13, 1], source: src },
  ];
  for (const p of rm.params.values()) p.t.requiresGrad = true;
  rewardLossStep(rm, pairs, 0.05, new Tape(b, true));
  const loss = () => rewardLossStep(rm, pairs, 0.05, new Tape(b, false)).loss;
  let checked = 0;
  for (const name of ["score.weight", "transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.attn.c_attn.weight", "transformer.h.0.mlp.c_fc.bias", "transformer.ln_f.weight"]) {
    const t = rm.params.get(name)!.t;
    for (const i of [0, 3, Math.floor(t.data.length / 2) + 1, t.data.length - 1]) {
      const x = t.data[i]!, h = 1e-6;
      t.data[i] = x + h;
      const up = loss();
      t.data[i] = x - h;
      const dn = loss();
      t.data[i] = x;
      const fd = (up - dn) / (2 * h), g = t.grad![i]!;
      assert.ok(Math.abs(fd - g) <= 1e-6 + 1e-5 * Math.abs(fd), `${name}[${i}]: tape ${g} vs finite differences ${fd}`);
      checked++;
    }
  }
  assert.equal(checked, 24);
  assert.ok(Math.abs(rm.params.get("score.weight")!.t.grad![0]!) > 1e-6, "the head's gradient is not trivially 0");
});

test("a saved reward model loads back as *ForSequenceClassification with identical scores", () => {
  const rm = initRewardModel(MODEL, 7);
  const dir = join(tmp, "init-rm");
  saveRewardModel(rm, dir, { tokenizerFrom: MODEL });
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(config.architectures, ["GPT2ForSequenceClassification"]);
  assert.equal(config.num_labels, 1);
  assert.equal(config.pad_token_id, 50256);
  assert.ok(isRewardModelDir(dir) && !isRewardModelDir(MODEL));
  const seqs = [[1, 2, 3, 50256], [464, 3807, 50256], [10]];
  assert.deepEqual(scoreSequences(loadRewardModel(dir), seqs), scoreSequences(rm, seqs));
  assert.throws(() => loadRewardModel(MODEL), (e: Error) => e instanceof UserError && /no "score\.weight"/.test(e.message));
});

/** Pairs whose chosen response says "good" where the rejected says "bad", around varied words. */
function wordPairs(words: readonly string[]): string {
  return words.map((w, i) => JSON.stringify(i % 2
    ? { prompt: "Review:", chosen: ` ${w} was good`, rejected: ` ${w} was bad` }
    : { prompt: "Review:", chosen: ` good ${w}`, rejected: ` bad ${w}` })).join("\n") + "\n";
}

test("a tiny reward model learns a one-word preference: accuracy 1 on held-out pairs; poet reward scores files", async () => {
  const train = join(tmp, "train.jsonl"), held = join(tmp, "held.jsonl"), out = join(tmp, "rm");
  writeFileSync(train, wordPairs(["film", "plot", "cast", "music", "story", "scene", "actor", "ending", "script", "camera", "light", "dialogue", "pace", "score", "set", "twist"]));
  writeFileSync(held, wordPairs(["movie", "hero", "villain", "soundtrack", "director", "sequel"]));
  const logs: string[] = [];
  const report = await trainRewardModel({
    ...REWARD_TRAIN_DEFAULTS, modelDir: MODEL, dataFile: train, evalDataFile: held, outputDir: out,
    learningRate: 3e-3, numTrainEpochs: 12, perDeviceTrainBatchSize: 8, loggingSteps: 4, seed: 1,
  }, (m) => logs.push(m));
  assert.equal(report.globalStep, 24);
  assert.equal(report.eval!.accuracy, 1, logs.join("\n"));
  assert.ok(report.eval!.margin > 1 && report.eval!.loss < 0.3, JSON.stringify(report.eval));
  // the log carries TRL's metric names
  const log = readFileSync(join(out, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
  const first = log[0]!, last = log.filter((r) => "loss" in r).at(-1)!;
  for (const k of ["loss", "accuracy", "margin", "learning_rate", "grad_norm"]) assert.ok(k in first, k);
  assert.ok(last.loss! < first.loss!, `loss ${first.loss} -> ${last.loss}`);
  assert.ok("eval_accuracy" in log.at(-1)!);
  // what was saved scores as what was trained
  const seqs = [[464, 3807, 373, 922, 50256], [464, 3807, 373, 2089, 50256]];
  assert.deepEqual(scoreSequences(loadRewardModel(out), seqs), scoreSequences(report.model, seqs));

  // poet reward --score: pairs get reward_chosen/reward_rejected, completions a reward
  const scored = join(tmp, "scored.jsonl");
  await rewardCommand.run(["--model", out, "--score", held, "--output", scored]);
  const rows = readFileSync(scored, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
  assert.equal(rows.length, 6);
  assert.ok(rows.every((r) => r.reward_chosen! > r.reward_rejected!));
  const comp = join(tmp, "completions.jsonl"), scored2 = join(tmp, "scored2.jsonl");
  writeFileSync(comp, [{ prompt: "Review:", completion: " good movie" }, { prompt: "Review:", completion: " bad movie" }].map((r) => JSON.stringify(r)).join("\n") + "\n");
  await rewardCommand.run(["--model", out, "--score", comp, "--output", scored2]);
  const [g, bd] = readFileSync(scored2, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { reward: number });
  assert.ok(g!.reward > bd!.reward, `${g!.reward} vs ${bd!.reward}`);
  await assert.rejects(rewardCommand.run(["--model", MODEL, "--score", comp, "--output", scored2]), /no "score\.weight"/);
  await assert.rejects(rewardCommand.run(["--model", MODEL, "--data", train]), /--output-dir is required/);
});
