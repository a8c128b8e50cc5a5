// `poet reward`: trains a Bradley-Terry reward model on preference pairs (as TRL's RewardTrainer), or scores the
// rows of a file with one.
import { readRows } from "../data/rows.js";
import { loadTokenizer } from "../data/tokenizer.js";
import { UserError } from "../errors.js";
import { scoreRewardRows } from "../eval/judges/reward-model.js";
import { REWARD_TRAIN_DEFAULTS, trainRewardModel, type RewardTrainOptions } from "../eval/reward-model-train.js";
import { loadRewardModel } from "../eval/reward-model.js";
import { writeJsonLines } from "../atomic-write.js";
import { SCHEDULERS, type SchedulerType } from "../train/schedule.js";
import { choice, numberFlag, parseFlags, positiveInt, required, type Command } from "./command.js";

const D = REWARD_TRAIN_DEFAULTS;

const help = `poet reward: train a Bradley-Terry reward model, or score a file with one

Usage: poet reward --model LM_DIR --data PAIRS --output-dir DIR [options]      (train)
       poet reward --model RM_DIR --score FILE --output FILE.jsonl [--json]    (score)

Training: a causal LM's backbone plus a new linear head on the last token's hidden state, r(x) = w . h_T(x),
trained on (prompt + chosen, prompt + rejected) with the loss -log sigmoid(r_chosen - r_rejected) (Bradley &
Terry 1952; Ouyang et al. 2022), as TRL's RewardTrainer. Pairs in any format poet train reads; pairs longer than
--max-length are dropped, as TRL does. Writes DIR as a Hugging Face *ForSequenceClassification checkpoint (config,
model.safetensors, tokenizer files), DIR/log.jsonl (loss, accuracy, margin, grad_norm, learning_rate; eval_* with
--eval-data) and DIR/train_results.json. Use it as a judge: poet winrate --judge reward-model:DIR.

Scoring: each row of FILE gets "reward" (rows with prompt and completion, text or *_input_ids, as poet generate
writes) or "reward_chosen" and "reward_rejected" (preference pairs); prints the mean reward, and the accuracy and
margin of pairs.

Options (training; defaults as TRL's RewardConfig / HF TrainingArguments):
  --eval-data FILE                  held-out pairs: accuracy at the end (and every --eval-steps)
  --learning-rate LR                default ${D.learningRate}
  --lr-scheduler-type T             ${Object.keys(SCHEDULERS).join(", ")} (default ${D.lrSchedulerType})
  --warmup-ratio R                  default ${D.warmupRatio}
  --weight-decay W                  default ${D.weightDecay} (never on biases and norms)
  --max-grad-norm N                 default ${D.maxGradNorm} (0: no clipping)
  --per-device-train-batch-size N   pairs per step (default ${D.perDeviceTrainBatchSize})
  --num-train-epochs E              default ${D.numTrainEpochs}
  --max-steps N                     overrides epochs when > 0
  --max-length N                    drop longer pairs (default ${D.maxLength})
  --center-rewards-coefficient C    weight of mean((r_c + r_r)^2) (Eisenstein et al. 2023; default 0)
  --seed S                          data order and head initialisation (default ${D.seed})
  --logging-steps N                 default ${D.loggingSteps}
  --eval-steps N                    default 0 (only at the end)
  --skip-invalid-rows               skip bad rows instead of stopping

Examples:
  poet reward --model examples/tiny-gpt2 --data examples/pairs.jsonl --output-dir runs/rm --num-train-epochs 3
  poet reward --model runs/rm --score gen.jsonl --output gen-scored.jsonl
  poet winrate --model runs/dpo --baseline examples/tiny-gpt2 --data prompts.jsonl --judge reward-model:runs/rm
`;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export const rewardCommand: Command = {
  name: "reward",
  summary: "train a Bradley-Terry reward model on pairs (TRL RewardTrainer), or score a file with one",
  help,
  async run(argv) {
    const f = parseFlags("reward", argv, {
      model: { type: "string" }, data: { type: "string" }, "output-dir": { type: "string" }, "eval-data": { type: "string" },
      score: { type: "string" }, output: { type: "string" }, json: { type: "boolean" },
      "learning-rate": { type: "string" }, "lr-scheduler-type": { type: "string" }, "warmup-ratio": { type: "string" },
      "weight-decay": { type: "string" }, "max-grad-norm": { type: "string" }, "per-device-train-batch-size": { type: "string" },
      "num-train-epochs": { type: "string" }, "max-steps": { type: "string" }, "max-length": { type: "string" },
      "center-rewards-coefficient": { type: "string" }, seed: { type: "string" }, "logging-steps": { type: "string" },
      "eval-steps": { type: "string" }, "skip-invalid-rows": { type: "boolean" },
    });
    const model = required("reward", "model", f.model);
    if (f.score !== undefined) {
      if (f.data !== undefined || f["output-dir"] !== undefined) throw new UserError("poet reward: --score scores a file with a trained reward model; --data/--output-dir are for training, not both");
      const output = required("reward", "output", f.output);
      const rm = loadRewardModel(model);
      const rows = await readRows(f.score);
      const rewards = scoreRewardRows(rm, await loadTokenizer(model), rows);
      writeJsonLines(output, rows.map((r, i) => ({ ...r.row, ...rewards[i] })));
      const single = rewards.flatMap((r) => ("reward" in r ? [r.reward] : []));
      const pairs = rewards.flatMap((r) => ("reward_chosen" in r ? [r] : []));
      const summary = {
        rows: rows.length,
        ...(single.length ? { mean_reward: mean(single) } : {}),
        ...(pairs.length ? {
          pairs: pairs.length, accuracy: mean(pairs.map((p) => (p.reward_chosen > p.reward_rejected ? 1 : 0))),
          margin: mean(pairs.map((p) => p.reward_chosen - p.reward_rejected)),
        } : {}),
      };
      process.stdout.write(f.json ? JSON.stringify(summary) + "\n" : Object.entries(summary).map(([k, v]) => `${k.padEnd(12)} ${Number.isInteger(v) ? v : v.toFixed(6)}`).join("\n") + "\n");
      process.stderr.write(`poet reward: scored ${rows.length} rows -> ${output}\n`);
      return;
    }
    const o: RewardTrainOptions = {
      modelDir: model, dataFile: required("reward", "data", f.data), outputDir: required("reward", "output-dir", f["output-dir"]),
      evalDataFile: f["eval-data"] ?? null,
      learningRate: numberFlag("reward", "learning-rate", f["learning-rate"], D.learningRate, (x) => x > 0, "a number > 0"),
      lrSchedulerType: choice("reward", "lr-scheduler-type", f["lr-scheduler-type"], Object.keys(SCHEDULERS) as SchedulerType[], D.lrSchedulerType),
      warmupRatio: numberFlag("reward", "warmup-ratio", f["warmup-ratio"], D.warmupRatio, (x) => x >= 0 && x < 1, "a number in [0, 1)"),
      weightDecay: numberFlag("reward", "weight-decay", f["weight-decay"], D.weightDecay, (x) => x >= 0, "a number >= 0"),
      maxGradNorm: numberFlag("reward", "max-grad-norm", f["max-grad-norm"], D.maxGradNorm, (x) => x >= 0, "a number >= 0"),
      perDeviceTrainBatchSize: positiveInt("reward", "per-device-train-batch-size", f["per-device-train-batch-size"], D.perDeviceTrainBatchSize),
      numTrainEpochs: numberFlag("reward", "num-train-epochs", f["num-train-epochs"], D.numTrainEpochs, (x) => x > 0, "a number > 0"),
      maxSteps: numberFlag("reward", "max-steps", f["max-steps"], D.maxSteps, Number.isInteger, "an integer"),
      maxLength: f["max-length"] === undefined ? D.maxLength : positiveInt("reward", "max-length", f["max-length"], 1),
      centerRewardsCoefficient: numberFlag("reward", "center-rewards-coefficient", f["center-rewards-coefficient"], D.centerRewardsCoefficient, (x) => x >= 0, "a number >= 0"),
      seed: numberFlag("reward", "seed", f.seed, D.seed, Number.isInteger, "an integer"),
      loggingSteps: positiveInt("reward", "logging-steps", f["logging-steps"], D.loggingSteps),
      evalSteps: numberFlag("reward", "eval-steps", f["eval-steps"], D.evalSteps, (x) => Number.isInteger(x) && x >= 0, "an integer >= 0"),
      skipInvalidRows: f["skip-invalid-rows"] ?? false,
    };
    const r = await trainRewardModel(o, (m) => process.stderr.write(`poet reward: ${m}\n`));
    const summary = { global_step: r.globalStep, output_dir: r.outputDir, ...r.train, ...(r.eval ? Object.fromEntries(Object.entries(r.eval).map(([k, v]) => [`eval_${k}`, v])) : {}) };
    process.stdout.write(f.json ? JSON.stringify(summary) + "\n" : Object.entries(summary).map(([k, v]) => `${k.padEnd(16)} ${typeof v === "number" && !Number.isInteger(v) ? v.toFixed(6) : v}`).join("\n") + "\n");
  },
};
