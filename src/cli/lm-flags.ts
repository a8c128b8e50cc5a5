// The training flags shared by `poet pretrain` and `poet sft` (next-token training): their parse spec, help
// lines and defaults, turned into the trainer's options. Parsing only; the loop is src/train/lm-trainer.ts.
import { readTextDocuments, type TextDocument } from "../data/text-documents.js";
import { UserError } from "../errors.js";
import type { SafeDType } from "../models/safetensors.js";
import type { LmTrainOptions, LmTrainReport } from "../train/lm-trainer.js";
import { SCHEDULERS, type SchedulerType } from "../train/schedule.js";
import { choice, numberFlag, positiveInt, required, type Flags } from "./command.js";

export const LM_TRAIN_FLAGS = {
  data: { type: "string", multiple: true },
  "output-dir": { type: "string" },
  "learning-rate": { type: "string" },
  "lr-scheduler-type": { type: "string" },
  "warmup-ratio": { type: "string" },
  "weight-decay": { type: "string" },
  "max-grad-norm": { type: "string" },
  "max-steps": { type: "string" },
  "num-train-epochs": { type: "string" },
  "per-device-train-batch-size": { type: "string" },
  "block-size": { type: "string" },
  "eval-fraction": { type: "string" },
  "eval-steps": { type: "string" },
  "logging-steps": { type: "string" },
  seed: { type: "string" },
  "save-dtype": { type: "string" },
} as const;

export interface LmDefaults {
  learningRate: number;
  lrSchedulerType: SchedulerType;
  warmupRatio: number;
  batchSize: number;
  blockSize: number;
  numTrainEpochs: number;
  evalFraction: number;
}

export function lmFlagsHelp(d: LmDefaults): string {
  return `Training options:
  --data FILE                   training text; repeat the flag or separate files with commas. .txt: paragraphs
                                (blank-line separated, line wraps joined); .jsonl / .json: rows with "text", or
                                "prompt" + "completion" (loss on the completion only)
  --output-dir DIR              where the model (Hugging Face layout), log.jsonl and train_results.json go
  --learning-rate LR            peak AdamW rate (default ${d.learningRate})
  --lr-scheduler-type TYPE      ${Object.keys(SCHEDULERS).join(" | ")} (default ${d.lrSchedulerType})
  --warmup-ratio R              fraction of steps warming up linearly (default ${d.warmupRatio})
  --weight-decay W              AdamW decoupled weight decay, not on norms and biases (default 0.1)
  --max-grad-norm G             clip the global gradient norm (default 1.0; 0: off)
  --max-steps N                 optimizer steps (default: --num-train-epochs passes)
  --num-train-epochs E          passes over the training data when --max-steps is not given (default ${d.numTrainEpochs})
  --per-device-train-batch-size B  sequences per step (default ${d.batchSize})
  --block-size T                tokens predicted per sequence at most (default ${d.blockSize})
  --eval-fraction F             documents held out for the eval loss (default ${d.evalFraction}; 0: none)
  --eval-steps N                eval every N steps (default: only at the end)
  --logging-steps N             log.jsonl line every N steps (default 10)
  --seed S                      data order and initialization (default 42)
  --save-dtype D                float32 | float16 | bfloat16 (default float32)
`;
}

const SAVE_DTYPES: Record<string, SafeDType> = { float32: "F32", float16: "F16", bfloat16: "BF16" };

/** The files of repeated and/or comma-separated --data flags. */
export function dataFiles(cmd: string, value: string | string[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const files = list.flatMap((v) => v.split(",")).map((s) => s.trim()).filter((s) => s !== "");
  if (files.length === 0) throw new UserError(`poet ${cmd}: --data is required; see poet ${cmd} --help`);
  return files;
}

export function readDocuments(files: readonly string[]): TextDocument[] {
  return files.flatMap((f) => readTextDocuments(f));
}

/** Everything of LmTrainOptions that the shared flags decide. */
export function lmOptionsOf(cmd: string, f: Flags<typeof LM_TRAIN_FLAGS>, d: LmDefaults): Omit<LmTrainOptions, "start" | "documents" | "packing"> {
  const nonNeg = (x: number) => x >= 0;
  const maxSteps = f["max-steps"] === undefined ? 0 : positiveInt(cmd, "max-steps", f["max-steps"], 1);
  return {
    outputDir: required(cmd, "output-dir", f["output-dir"]),
    learningRate: numberFlag(cmd, "learning-rate", f["learning-rate"], d.learningRate, (x) => x > 0, "a positive number"),
    lrSchedulerType: choice(cmd, "lr-scheduler-type", f["lr-scheduler-type"], Object.keys(SCHEDULERS) as SchedulerType[], d.lrSchedulerType),
    warmupRatio: numberFlag(cmd, "warmup-ratio", f["warmup-ratio"], d.warmupRatio, (x) => x >= 0 && x <= 1, "a number in [0, 1]"),
    weightDecay: numberFlag(cmd, "weight-decay", f["weight-decay"], 0.1, nonNeg, "a number >= 0"),
    adamBeta1: 0.9, adamBeta2: 0.95, adamEpsilon: 1e-8,
    maxGradNorm: numberFlag(cmd, "max-grad-norm", f["max-grad-norm"], 1, nonNeg, "a number >= 0"),
    batchSize: positiveInt(cmd, "per-device-train-batch-size", f["per-device-train-batch-size"], d.batchSize),
    maxSteps,
    numTrainEpochs: numberFlag(cmd, "num-train-epochs", f["num-train-epochs"], d.numTrainEpochs, (x) => x > 0, "a positive number"),
    blockSize: positiveInt(cmd, "block-size", f["block-size"], d.blockSize),
    evalFraction: numberFlag(cmd, "eval-fraction", f["eval-fraction"], d.evalFraction, (x) => x >= 0 && x < 1, "a number in [0, 1)"),
    evalSteps: f["eval-steps"] === undefined ? 0 : positiveInt(cmd, "eval-steps", f["eval-steps"], 1),
    loggingSteps: positiveInt(cmd, "logging-steps", f["logging-steps"], 10),
    seed: numberFlag(cmd, "seed", f.seed, 42, (x) => Number.isInteger(x) && x >= 0, "an integer >= 0"),
    saveDtype: SAVE_DTYPES[choice(cmd, "save-dtype", f["save-dtype"], Object.keys(SAVE_DTYPES), "float32")]!,
  };
}

/** The closing line of poet pretrain and poet sft. */
export function doneLine(r: LmTrainReport): string {
  return `done, ${r.globalStep} steps in ${r.wallSeconds.toFixed(0)} s: train loss ${r.trainLoss.toFixed(4)}` +
    `${r.evalLoss === null ? "" : `, eval loss ${r.evalLoss.toFixed(4)}`}; model in ${r.outputDir}`;
}

/** Prints a step line on stderr (a live line on a terminal). */
export function stepPrinter(cmd: string): (step: number, total: number, m: Record<string, number>) => void {
  const tty = process.stderr.isTTY === true, t0 = performance.now();
  return (step, total, m) => {
    const s = (performance.now() - t0) / 1000, eta = (s / step) * (total - step);
    const line = `poet ${cmd}: step ${step}/${total} loss ${m.loss!.toFixed(4)} lr ${m.learning_rate!.toExponential(2)} ` +
      `${m.tokens_per_second!.toFixed(0)} tok/s ETA ${eta.toFixed(0)}s`;
    process.stderr.write(tty ? `\r${line}\x1b[K${step === total ? "\n" : ""}` : `${line}\n`);
  };
}
