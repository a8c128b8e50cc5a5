// A validated TrainConfig (flags + YAML, src/train/config.ts) turned into the trainer's options: save and eval
// strategies become step counts, the truncation string a TruncationSpec, the loss keys one LossConfig.
import { parseTruncation } from "../data/truncation.js";
import { lossConfigOf, type TrainConfig } from "./config.js";
import type { TrainOptions } from "./trainer.js";

/** The trainer's options from a validated config (strategies turned into step counts). */
export function trainOptionsOf(c: TrainConfig): TrainOptions {
  return {
    modelDir: c.model, refModelDir: c.refModel, dataFile: c.data, evalDataFile: c.evalData, evalFraction: c.evalFraction,
    outputDir: c.outputDir, loss: c.loss, truncation: parseTruncation(c.truncation), lossConfig: lossConfigOf(c),
    learningRate: c.learningRate, lrSchedulerType: c.lrSchedulerType, warmupRatio: c.warmupRatio, warmupSteps: c.warmupSteps,
    adamBeta1: c.adamBeta1, adamBeta2: c.adamBeta2, adamEpsilon: c.adamEpsilon, weightDecay: c.weightDecay,
    maxGradNorm: c.maxGradNorm, perDeviceTrainBatchSize: c.perDeviceTrainBatchSize,
    perDeviceEvalBatchSize: c.perDeviceEvalBatchSize, gradientAccumulationSteps: c.gradientAccumulationSteps,
    numTrainEpochs: c.numTrainEpochs, maxSteps: c.maxSteps,
    saveSteps: c.saveStrategy === "no" ? 0 : c.saveStrategy === "epoch" ? -1 : c.saveSteps,
    saveTotalLimit: c.saveTotalLimit ?? 0,
    evalSteps: c.evalStrategy === "no" ? 0 : c.evalStrategy === "epoch" ? -1 : c.evalSteps ?? c.loggingSteps,
    loggingSteps: c.loggingSteps, seed: c.seed, maxLength: c.maxLength, maxPromptLength: c.maxPromptLength,
    skipInvalidRows: c.skipInvalidRows, resumeFromCheckpoint: c.resumeFromCheckpoint,
  };
}
