// The preference-training loop, top to bottom: load policy, data and (cached) reference log-probs; then per
// optimizer step: packed forward of chosen + rejected for each micro-batch, the loss table's gradient pushed back
// through the tape, gradient accumulation, clipping, AdamW with a scheduled rate; metrics to OUT/log.jsonl,
// atomic checkpoints, and the final model in Hugging Face layout in OUT. Resuming replays the exact same steps.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyLengthLimits } from "../data/length-limits.js";
import { loadPairs } from "../data/load-pairs.js";
import { applyTruncation, type TruncationSpec } from "../data/truncation.js";
import type { EncodedPair } from "../data/types.js";
import { getBackend } from "../engine/backend.js";
import { globalGradNorm, scaleGrads } from "./gradients.js";
import { shuffled } from "../engine/random.js";
import { publishModel } from "./publish.js";
import { Tape } from "../engine/tape.js";
import { UserError, at } from "../errors.js";
import { losses } from "../losses/index.js";
import type { LossConfig, LossInput, LossName, SequenceLogps } from "../losses/types.js";
import { loadModel } from "../models/load.js";
import type { CausalLM } from "../models/model.js";
import { checkScorable, pairLogps } from "../models/pair-logps.js";
import { packForScoring, pairSequences, sumPerSequence, tokenLogprobs } from "../models/scoring.js";
import { AdamW } from "./adamw.js";
import { loadOptimizer, loadTrainerState, resolveCheckpoint, saveCheckpoint, type TrainerState } from "./checkpoint.js";
import { accumulate, emptySums, means, type RewardStyle } from "./metrics.js";
import { cachedReferenceLogps } from "./reference-cache.js";
import { learningRate, warmupSteps, type SchedulerType } from "./schedule.js";

export interface TrainOptions {
  modelDir: string;
  refModelDir: string | null;
  dataFile: string;
  evalDataFile: string | null;
  /** Held-out fraction of the training data used for evaluation when there is no eval file (0: none). */
  evalFraction: number;
  outputDir: string;
  loss: LossName;
  truncation: TruncationSpec;
  lossConfig: LossConfig;
  learningRate: number;
  lrSchedulerType: SchedulerType;
  warmupRatio: number;
  warmupSteps: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  weightDecay: number;
  maxGradNorm: number;
  perDeviceTrainBatchSize: number;
  perDeviceEvalBatchSize: number;
  gradientAccumulationSteps: number;
  numTrainEpochs: number;
  maxSteps: number;
  /** Save every N optimizer steps; 0: never; -1: at the end of each epoch. */
  saveSteps: number;
  saveTotalLimit: number;
  /** Evaluate every N optimizer steps; 0: only at the end; -1: at the end of each epoch. */
  evalSteps: number;
  loggingSteps: number;
  seed: number;
  maxLength: number | null;
  maxPromptLength: number | null;
  skipInvalidRows: boolean;
  resumeFromCheckpoint: string | null;
}

export interface TrainReport {
  globalStep: number;
  outputDir: string;
  finalMetrics: Record<string, number>;
}

type Log = (msg: string) => void;

/** Data ready to score: loaded, length-limited, truncated, checked against the model. */
export async function preparePairs(file: string, modelDir: string, model: CausalLM, o: Pick<TrainOptions, "maxLength" | "maxPromptLength" | "truncation" | "skipInvalidRows">, log: Log): Promise<EncodedPair[]> {
  const enc = await loadPairs(file, { modelDir, vocabSize: model.vocabSize, skipInvalid: o.skipInvalidRows });
  if (enc.skipped > 0) log(`${file}: skipped ${enc.skipped} invalid rows (first: ${enc.errors[0]})`);
  if (enc.pairs.length === 0) throw new UserError(`${file}: no usable preference pairs`);
  const lim = applyLengthLimits(enc.pairs, { maxLength: o.maxLength, maxPromptLength: o.maxPromptLength });
  if (lim.promptsTruncated || lim.completionsTruncated)
    log(`${file}: max_length ${o.maxLength}: truncated ${lim.promptsTruncated} prompts and ${lim.completionsTruncated} completion pairs (TRL's rule)`);
  const pairs = lim.pairs.map((p) => applyTruncation(p, o.truncation));
  pairs.forEach((p) => checkScorable(model, p));
  return pairs;
}

function toSequenceLogps(pairs: readonly EncodedPair[], chosen: ArrayLike<number>, rejected: ArrayLike<number>): SequenceLogps {
  return {
    chosen: Float64Array.from(chosen), rejected: Float64Array.from(rejected),
    chosenTokens: Float64Array.from(pairs, (p) => p.chosenIds.length),
    rejectedTokens: Float64Array.from(pairs, (p) => p.rejectedIds.length),
  };
}

/** Reference log-probs of already-truncated pairs, from the disk cache or computed once. */
export function referenceLogps(refDir: string, pairs: readonly EncodedPair[], log: Log, refModel?: CausalLM): SequenceLogps {
  const r = cachedReferenceLogps(refDir, pairs, () => {
    const m = refModel ?? loadModel(refDir, getBackend());
    const t0 = performance.now();
    const lp = pairLogps(m, pairs, { truncation: "none" });
    log(`reference log-probs of ${pairs.length} pairs computed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { chosen: lp.map((x) => x.chosen_logps), rejected: lp.map((x) => x.rejected_logps) };
  });
  if (r.hit) log(`reference log-probs of ${pairs.length} pairs read from cache ${r.file}`);
  return toSequenceLogps(pairs, r.logps.chosen, r.logps.rejected);
}

export function rewardStyle(loss: LossName, beta: number): RewardStyle {
  return { beta, referenceFree: !losses[loss].needsReference, averageLogps: losses[loss].averagesLogps };
}

/** Loss and TRL metrics of a model over pairs (forward only): what `poet eval` and evaluation steps report. */
export function evaluate(model: CausalLM, pairs: readonly EncodedPair[], reference: SequenceLogps | null, loss: LossName, cfg: LossConfig): Record<string, number> {
  const lp = pairLogps(model, pairs, { truncation: "none" });
  const input: LossInput = { policy: toSequenceLogps(pairs, lp.map((x) => x.chosen_logps), lp.map((x) => x.rejected_logps)), reference };
  const res = losses[loss].compute(input, cfg);
  const sums = emptySums();
  accumulate(sums, input, rewardStyle(loss, cfg.beta));
  return { loss: res.loss, ...means(sums) };
}

export async function train(o: TrainOptions, log: Log, onStep?: (state: TrainerState, metrics: Record<string, number>) => void): Promise<TrainReport> {
  const backend = getBackend();
  mkdirSync(o.outputDir, { recursive: true });
  const resumeDir = o.resumeFromCheckpoint ? resolveCheckpoint(o.outputDir, o.resumeFromCheckpoint) : null;
  const lossDef = losses[o.loss];

  // Data is tokenized with the initial model directory's tokenizer, whether or not we resume.
  const initial = loadModel(o.modelDir, backend);
  const trainAll = await preparePairs(o.dataFile, o.modelDir, initial, o, log);
  let trainPairs = trainAll, evalPairs: EncodedPair[] = [];
  if (o.evalDataFile) evalPairs = await preparePairs(o.evalDataFile, o.modelDir, initial, o, log);
  else if (o.evalFraction > 0) {
    const order = shuffled(trainAll.length, o.seed ^ 0x5eed);
    const nEval = Math.max(1, Math.round(o.evalFraction * trainAll.length));
    evalPairs = order.slice(0, nEval).map((i) => trainAll[i]!);
    trainPairs = order.slice(nEval).sort((a, b) => a - b).map((i) => trainAll[i]!);
    if (trainPairs.length === 0) throw new UserError(`eval fraction ${o.evalFraction} leaves no training pairs`);
  }

  const refDir = o.refModelDir ?? o.modelDir;
  const refModel = o.refModelDir ? undefined : initial;
  const trainRef = lossDef.needsReference ? referenceLogps(refDir, trainPairs, log, refModel) : null;
  const evalRef = lossDef.needsReference && evalPairs.length ? referenceLogps(refDir, evalPairs, log, refModel) : null;

  const model = resumeDir ? loadModel(resumeDir, backend) : initial;
  const params = [...model.params.values()].map((p) => p.t);
  for (const p of params) p.requiresGrad = true;
  // As HF Trainer: no weight decay on biases and norm weights (the 1-D parameters of these architectures).
  const noDecay = new Set(params.filter((p) => p.shape.length === 1));
  const opt = new AdamW(params, { lr: o.learningRate, beta1: o.adamBeta1, beta2: o.adamBeta2, eps: o.adamEpsilon, weightDecay: o.weightDecay }, noDecay);

  const bs = o.perDeviceTrainBatchSize, ga = o.gradientAccumulationSteps;
  const microPerEpoch = Math.ceil(trainPairs.length / bs);
  const stepsPerEpoch = Math.ceil(microPerEpoch / ga);
  const total = o.maxSteps > 0 ? o.maxSteps : Math.ceil(stepsPerEpoch * o.numTrainEpochs);
  const warmup = warmupSteps(total, o.warmupRatio, o.warmupSteps);
  let state: TrainerState = { globalStep: 0, epoch: 0, batchInEpoch: 0, totalSteps: total, seed: o.seed, tokensSeen: 0 };
  if (resumeDir) {
    const s = loadTrainerState(resumeDir);
    loadOptimizer(resumeDir, model, opt, s.optimizer_step);
    state = { globalStep: s.globalStep, epoch: s.epoch, batchInEpoch: s.batchInEpoch, totalSteps: total, seed: s.seed, tokensSeen: s.tokensSeen };
    if (s.seed !== o.seed) log(`resuming with the checkpoint's seed ${s.seed} (not ${o.seed}) to keep the data order`);
    log(`resumed from ${resumeDir} at step ${state.globalStep}`);
  }
  log(`training ${o.loss} (truncation ${o.truncation.mode}) on ${trainPairs.length} pairs, ${evalPairs.length} eval pairs: ` +
    `${total} steps of ${bs} x ${ga} pairs, ${backend.name} backend`);

  const logFile = join(o.outputDir, "log.jsonl");
  const style = rewardStyle(o.loss, o.lossConfig.beta);
  let window = emptySums(), windowLoss = 0, windowSteps = 0, windowTokens = 0, windowTime = 0;
  let lastMetrics: Record<string, number> = {};

  const runEval = () => {
    if (evalPairs.length === 0) return;
    const m = evaluate(model, evalPairs, evalRef, o.loss, o.lossConfig);
    const entry = Object.fromEntries(Object.entries(m).map(([k, v]) => [`eval_${k}`, v]));
    appendFileSync(logFile, JSON.stringify({ step: state.globalStep, epoch: state.epoch + state.batchInEpoch / microPerEpoch, ...entry }) + "\n");
    Object.assign(lastMetrics, entry);
    log(`eval at step ${state.globalStep}: loss ${m.loss!.toFixed(4)}, accuracy ${m["rewards/accuracies"]!.toFixed(3)}, margin ${m["rewards/margins"]!.toFixed(4)}`);
  };

  while (state.globalStep < total) {
    const order = shuffled(trainPairs.length, state.seed + state.epoch);
    const micro = Math.min(ga, microPerEpoch - state.batchInEpoch);
    // the pairs of this optimizer step, micro-batch by micro-batch
    const batches: number[][] = [];
    for (let k = 0; k < micro; k++) {
      const b0 = (state.batchInEpoch + k) * bs;
      batches.push(order.slice(b0, Math.min(b0 + bs, trainPairs.length)));
    }
    const windowPairs = batches.reduce((s, b) => s + b.length, 0);
    const t0 = performance.now();
    let stepLoss = 0, stepTokens = 0;
    for (const idx of batches) {
      const pairs = idx.map((i) => trainPairs[i]!);
      const sb = packForScoring(pairSequences(pairs));
      const tape = new Tape(backend, true);
      const lp = tokenLogprobs(model, tape, sb);
      const sums = sumPerSequence(lp.data, sb);
      const policy = toSequenceLogps(pairs, pairs.map((_, k) => sums[2 * k]!), pairs.map((_, k) => sums[2 * k + 1]!));
      const reference = trainRef ? {
        chosen: Float64Array.from(idx, (i) => trainRef.chosen[i]!), rejected: Float64Array.from(idx, (i) => trainRef.rejected[i]!),
        chosenTokens: policy.chosenTokens, rejectedTokens: policy.rejectedTokens,
      } : null;
      const input: LossInput = { policy, reference };
      const res = lossDef.compute(input, o.lossConfig);
      const where = () => `step ${state.globalStep + 1}, pairs ${pairs.slice(0, 3).map((p) => at(p.source.file, p.source.line)).join(", ")}${pairs.length > 3 ? ", ..." : ""}`;
      if (!Number.isFinite(res.loss)) throw new UserError(`non-finite loss (${res.loss}) at ${where()}; lower the learning rate or check the data; the last good checkpoint is intact`);
      const w = pairs.length / windowPairs;
      lp.grad = backend.from(Array.from(sb.seqOfRow, (s) => w * (s % 2 === 0 ? res.dChosen[s >> 1]! : res.dRejected[s >> 1]!)));
      tape.backward();
      stepLoss += w * res.loss;
      stepTokens += sb.batch.ids.length;
      accumulate(window, input, style);
    }
    const gradNorm = globalGradNorm(model);
    if (!Number.isFinite(gradNorm))
      throw new UserError(`non-finite gradient norm at step ${state.globalStep + 1} (epoch ${state.epoch}, batch ${state.batchInEpoch}); lower the learning rate; the last good checkpoint is intact`);
    if (o.maxGradNorm > 0 && gradNorm > o.maxGradNorm) scaleGrads(model, o.maxGradNorm / (gradNorm + 1e-6));
    const lr = learningRate(o.lrSchedulerType, o.learningRate, state.globalStep, warmup, total);
    opt.update(lr);
    opt.zeroGrad();
    const dt = (performance.now() - t0) / 1000;

    state.globalStep++;
    state.batchInEpoch += micro;
    state.tokensSeen += stepTokens;
    if (state.batchInEpoch >= microPerEpoch) {
      state.epoch++;
      state.batchInEpoch = 0;
    }
    windowLoss += stepLoss;
    windowSteps++;
    windowTokens += stepTokens;
    windowTime += dt;
    const epochF = state.epoch + state.batchInEpoch / microPerEpoch;
    const epochEnded = state.batchInEpoch === 0;
    if (state.globalStep % Math.max(1, o.loggingSteps) === 0 || state.globalStep === total) {
      const entry = {
        step: state.globalStep, epoch: epochF, loss: windowLoss / windowSteps, ...means(window),
        grad_norm: gradNorm, learning_rate: lr, tokens_per_second: windowTokens / windowTime,
      };
      appendFileSync(logFile, JSON.stringify(entry) + "\n");
      lastMetrics = { ...entry };
      onStep?.(state, entry);
      window = emptySums();
      windowLoss = windowSteps = windowTokens = windowTime = 0;
    }
    const evalNow = (o.evalSteps > 0 && state.globalStep % o.evalSteps === 0) || (o.evalSteps < 0 && epochEnded);
    if (evalNow) runEval();
    if ((o.saveSteps > 0 && state.globalStep % o.saveSteps === 0) || (o.saveSteps < 0 && epochEnded))
      saveCheckpoint(o.outputDir, model, opt, state, o.saveTotalLimit, o.modelDir);
    if (state.globalStep === total && !evalNow) runEval();
  }
  publishModel(model, o.outputDir, o.modelDir);
  writeFileSync(join(o.outputDir, "train_results.json"), JSON.stringify({ global_step: state.globalStep, ...lastMetrics }, null, 2) + "\n");
  return { globalStep: state.globalStep, outputDir: o.outputDir, finalMetrics: lastMetrics };
}
