// Training a Bradley-Terry reward model (reward-model.ts) on preference pairs, as TRL's RewardTrainer does: the
// chosen and rejected sequences (prompt + response + EOS) are scored by backbone + head, and the loss
//   L = mean_pairs -log sigmoid(r_chosen - r_rejected)  [+ c mean((r_chosen + r_rejected)^2), TRL's
//       center_rewards_coefficient, Eisenstein et al. 2023]
// is pushed back through the engine's tape into every parameter, with AdamW (HF Trainer semantics) on a scheduled
// rate. The pair loss itself is a pure function (bradleyTerryLoss) so that its gradient is testable apart.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPairs } from "../data/load-pairs.js";
import type { EncodedPair } from "../data/types.js";
import { getBackend } from "../engine/backend.js";
import { shuffled } from "../engine/random.js";
import { Tape } from "../engine/tape.js";
import { UserError, at } from "../errors.js";
import { logSigmoid, sigmoid } from "../losses/logistic.js";
import { AdamW } from "../train/adamw.js";
import { learningRate, warmupSteps, type SchedulerType } from "../train/schedule.js";
import { checkRewardSequence, initRewardModel, packSequences, rewardForward, saveRewardModel, scoreSequences, type RewardModel } from "./reward-model.js";

export interface RewardTrainOptions {
  /** The causal LM to start from (its tokenizer encodes text rows). */
  modelDir: string;
  /** Preference pairs: any format `poet train` reads (text, pre-tokenized or conversational). */
  dataFile: string;
  /** Held-out pairs for accuracy at the end (and every evalSteps); null: none. */
  evalDataFile: string | null;
  outputDir: string;
  /** Default 5e-5 (HF TrainingArguments). */
  learningRate: number;
  /** Default "linear" (HF TrainingArguments). */
  lrSchedulerType: SchedulerType;
  warmupRatio: number;
  /** Default 0 (HF). Not applied to biases and norm weights. */
  weightDecay: number;
  /** Global gradient-norm clip; 0 disables. Default 1 (HF). */
  maxGradNorm: number;
  /** Pairs per optimizer step. Default 8 (HF). */
  perDeviceTrainBatchSize: number;
  numTrainEpochs: number;
  /** > 0 overrides numTrainEpochs. */
  maxSteps: number;
  /** Pairs whose chosen or rejected sequence is longer are dropped, as TRL's RewardTrainer filters them
   *  (default 1024, TRL RewardConfig.max_length); null: no limit but the model's positions. */
  maxLength: number | null;
  /** TRL's center_rewards_coefficient: weight of mean((r_c + r_r)^2), which pins rewards near 0. Default 0 (off). */
  centerRewardsCoefficient: number;
  /** Data order and head initialisation. */
  seed: number;
  loggingSteps: number;
  /** Evaluate every N steps (0: only at the end). */
  evalSteps: number;
  skipInvalidRows: boolean;
}

export const REWARD_TRAIN_DEFAULTS: Omit<RewardTrainOptions, "modelDir" | "dataFile" | "outputDir"> = {
  evalDataFile: null, learningRate: 5e-5, lrSchedulerType: "linear", warmupRatio: 0, weightDecay: 0, maxGradNorm: 1,
  perDeviceTrainBatchSize: 8, numTrainEpochs: 1, maxSteps: -1, maxLength: 1024, centerRewardsCoefficient: 0, seed: 42,
  loggingSteps: 10, evalSteps: 0, skipInvalidRows: false,
};

/** Loss, accuracy (r_c > r_r) and mean margin of a set of pairs. */
export interface RewardMetrics {
  loss: number;
  accuracy: number;
  margin: number;
  /** Mean reward of chosen and of rejected responses. */
  chosen: number;
  rejected: number;
}

export interface BradleyTerryResult extends RewardMetrics {
  /** dL/dr for each reward of the batch, in its order (chosen, rejected, chosen, rejected, ...). */
  dRewards: Float64Array;
}

/**
 * The Bradley-Terry pair loss over B pairs whose rewards come interleaved (r[2i] chosen, r[2i+1] rejected), with
 * m = r_c - r_r:
 *   L = (1/B) sum_i [ -log sigmoid(m_i) + c (r_c + r_r)^2 ]
 *   dL/dr_c = (1/B) [ -sigmoid(-m) + 2c (r_c + r_r) ]     // d(-log sigmoid(m)) = -sigmoid(-m) dm
 *   dL/dr_r = (1/B) [ +sigmoid(-m) + 2c (r_c + r_r) ]
 */
export function bradleyTerryLoss(rewards: ArrayLike<number>, center = 0): BradleyTerryResult {
  const B = rewards.length / 2;
  if (!Number.isInteger(B) || B === 0) throw new Error(`bradleyTerryLoss: need an even, non-zero number of rewards, got ${rewards.length}`);
  const dRewards = new Float64Array(rewards.length);
  let loss = 0, correct = 0, margin = 0, chosen = 0, rejected = 0;
  for (let i = 0; i < B; i++) {
    const rc = rewards[2 * i]!, rr = rewards[2 * i + 1]!, m = rc - rr, s = rc + rr;
    loss += -logSigmoid(m) + center * s * s;
    const g = sigmoid(-m);
    dRewards[2 * i] = (-g + 2 * center * s) / B;
    dRewards[2 * i + 1] = (g + 2 * center * s) / B;
    if (m > 0) correct++;
    margin += m;
    chosen += rc;
    rejected += rr;
  }
  return { loss: loss / B, accuracy: correct / B, margin: margin / B, chosen: chosen / B, rejected: rejected / B, dRewards };
}

/** The two sequences a pair gives the reward model: prompt + chosen, prompt + rejected (responses end with EOS). */
export function pairRewardSequences(p: EncodedPair): [number[], number[]] {
  return [[...p.promptIds, ...p.chosenIds], [...p.promptIds, ...p.rejectedIds]];
}

/**
 * One forward + backward over a batch of pairs: leaves dL/dparam in each parameter's grad (accumulating) and
 * returns the batch's metrics. Exposed for the finite-difference test.
 */
export function rewardLossStep(rm: RewardModel, pairs: readonly EncodedPair[], center = 0, tape = new Tape(rm.backbone.backend, true)): RewardMetrics {
  const { batch, last } = packSequences(pairs.flatMap(pairRewardSequences));
  const r = rewardForward(rm, tape, batch, last); // (2B, 1)
  const res = bradleyTerryLoss(r.data, center);
  if (tape.recording) {
    r.grad = rm.backbone.backend.from(res.dRewards);
    tape.backward();
  }
  const { dRewards: _, ...metrics } = res;
  return metrics;
}

/** Metrics of a reward model over pairs, forward only. */
export function evaluateRewardModel(rm: RewardModel, pairs: readonly EncodedPair[], center = 0): RewardMetrics {
  const r = scoreSequences(rm, pairs.flatMap(pairRewardSequences));
  const { dRewards: _, ...metrics } = bradleyTerryLoss(r, center);
  return metrics;
}

type Log = (msg: string) => void;

/** Pairs of `file` that fit: too long for maxLength are dropped (counted in the log), too long for the model fail. */
async function rewardPairs(file: string, rm: RewardModel, modelDir: string, o: RewardTrainOptions, log: Log): Promise<EncodedPair[]> {
  const enc = await loadPairs(file, { modelDir, vocabSize: rm.backbone.vocabSize, skipInvalid: o.skipInvalidRows });
  if (enc.skipped > 0) log(`${file}: skipped ${enc.skipped} invalid rows (first: ${enc.errors[0]})`);
  const longest = (p: EncodedPair) => p.promptIds.length + Math.max(p.chosenIds.length, p.rejectedIds.length);
  const kept = o.maxLength === null ? enc.pairs : enc.pairs.filter((p) => longest(p) <= o.maxLength!);
  if (kept.length < enc.pairs.length) log(`${file}: dropped ${enc.pairs.length - kept.length} pairs longer than max_length ${o.maxLength} (TRL's RewardTrainer filter)`);
  if (kept.length === 0) throw new UserError(`${file}: no usable preference pairs${o.maxLength !== null ? ` within max_length ${o.maxLength}` : ""}`);
  for (const p of kept) for (const s of pairRewardSequences(p)) checkRewardSequence(rm, s, at(p.source.file, p.source.line));
  return kept;
}

export interface RewardTrainReport {
  /** The trained model, as saved. */
  model: RewardModel;
  globalStep: number;
  outputDir: string;
  train: RewardMetrics;
  eval: RewardMetrics | null;
}

/** Trains a reward model from `modelDir` and writes it, in Hugging Face layout, to `outputDir`. */
export async function trainRewardModel(o: RewardTrainOptions, log: Log): Promise<RewardTrainReport> {
  const backend = getBackend();
  const rm = initRewardModel(o.modelDir, o.seed, backend);
  const trainPairs = await rewardPairs(o.dataFile, rm, o.modelDir, o, log);
  const evalPairs = o.evalDataFile ? await rewardPairs(o.evalDataFile, rm, o.modelDir, o, log) : [];
  mkdirSync(o.outputDir, { recursive: true });

  const params = [...rm.params.values()].map((p) => p.t);
  for (const p of params) p.requiresGrad = true;
  // As HF Trainer: no weight decay on biases and norm weights (the 1-D parameters).
  const noDecay = new Set(params.filter((p) => p.shape.length === 1));
  const opt = new AdamW(params, { lr: o.learningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: o.weightDecay }, noDecay);
  const bs = o.perDeviceTrainBatchSize;
  const stepsPerEpoch = Math.ceil(trainPairs.length / bs);
  const total = o.maxSteps > 0 ? o.maxSteps : Math.ceil(stepsPerEpoch * o.numTrainEpochs);
  const warmup = warmupSteps(total, o.warmupRatio, 0);
  const logFile = join(o.outputDir, "log.jsonl");
  writeFileSync(logFile, "");
  log(`training a reward model (${rm.config.architectures}) on ${trainPairs.length} pairs, ${evalPairs.length} eval pairs: ${total} steps of ${bs} pairs, ${backend.name} backend`);

  const runEval = (step: number): RewardMetrics | null => {
    if (evalPairs.length === 0) return null;
    const e = evaluateRewardModel(rm, evalPairs, o.centerRewardsCoefficient);
    appendFileSync(logFile, JSON.stringify({ step, ...Object.fromEntries(Object.entries(e).map(([k, v]) => [`eval_${k}`, v])) }) + "\n");
    log(`eval at step ${step}: loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(3)}, margin ${e.margin.toFixed(4)}`);
    return e;
  };

  let window = { loss: 0, accuracy: 0, margin: 0, chosen: 0, rejected: 0, n: 0 };
  let last: RewardMetrics = { loss: NaN, accuracy: NaN, margin: NaN, chosen: NaN, rejected: NaN };
  let order: number[] = [];
  for (let step = 0; step < total; step++) {
    const epoch = Math.floor(step / stepsPerEpoch), b = step % stepsPerEpoch;
    if (b === 0) order = shuffled(trainPairs.length, o.seed + epoch);
    const pairs = order.slice(b * bs, Math.min((b + 1) * bs, trainPairs.length)).map((i) => trainPairs[i]!);
    const m = rewardLossStep(rm, pairs, o.centerRewardsCoefficient);
    if (!Number.isFinite(m.loss))
      throw new UserError(`non-finite reward-model loss at step ${step + 1} (pairs ${pairs.slice(0, 3).map((p) => at(p.source.file, p.source.line)).join(", ")}); lower the learning rate`);
    let sq = 0;
    for (const p of params) if (p.grad) for (let i = 0; i < p.grad.length; i++) sq += p.grad[i]! * p.grad[i]!;
    const gradNorm = Math.sqrt(sq);
    if (!Number.isFinite(gradNorm)) throw new UserError(`non-finite gradient norm at step ${step + 1}; lower the learning rate`);
    if (o.maxGradNorm > 0 && gradNorm > o.maxGradNorm) {
      const k = o.maxGradNorm / (gradNorm + 1e-6);
      for (const p of params) if (p.grad) backend.kernels.axpy(p.grad, p.grad, k - 1, p.grad.length);
    }
    const lr = learningRate(o.lrSchedulerType, o.learningRate, step, warmup, total);
    opt.update(lr);
    opt.zeroGrad();
    window = { loss: window.loss + m.loss, accuracy: window.accuracy + m.accuracy, margin: window.margin + m.margin,
      chosen: window.chosen + m.chosen, rejected: window.rejected + m.rejected, n: window.n + 1 };
    if ((step + 1) % Math.max(1, o.loggingSteps) === 0 || step + 1 === total) {
      const n = window.n;
      last = { loss: window.loss / n, accuracy: window.accuracy / n, margin: window.margin / n, chosen: window.chosen / n, rejected: window.rejected / n };
      appendFileSync(logFile, JSON.stringify({ step: step + 1, epoch: (step + 1) / stepsPerEpoch, ...last, grad_norm: gradNorm, learning_rate: lr }) + "\n");
      log(`step ${step + 1}/${total}: loss ${last.loss.toFixed(4)}, accuracy ${last.accuracy.toFixed(3)}, margin ${last.margin.toFixed(4)}`);
      window = { loss: 0, accuracy: 0, margin: 0, chosen: 0, rejected: 0, n: 0 };
    }
    if (o.evalSteps > 0 && (step + 1) % o.evalSteps === 0 && step + 1 !== total) runEval(step + 1);
  }
  const evalMetrics = runEval(total);
  saveRewardModel(rm, o.outputDir, { tokenizerFrom: o.modelDir });
  writeFileSync(join(o.outputDir, "train_results.json"), JSON.stringify({ global_step: total, ...last, ...(evalMetrics ? { eval: evalMetrics } : {}) }, null, 2) + "\n");
  return { model: rm, globalStep: total, outputDir: o.outputDir, train: last, eval: evalMetrics };
}
