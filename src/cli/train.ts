// `poet train`: preference training from flags and/or a TRL / alignment-handbook YAML config.
import { loadTrainConfig, trainFlagsHelp, type TrainConfig } from "../train/config.js";
import { trainOptionsOf } from "../train/options.js";
import { train } from "../train/trainer.js";
import type { Command } from "./command.js";

export function warnAbout(cmd: string, c: TrainConfig, warnings: string[]): void {
  for (const w of warnings) process.stderr.write(`poet ${cmd}: warning: ${w}\n`);
  if (c.bf16) process.stderr.write(`poet ${cmd}: warning: bf16: true: the engine computes in float32 (no bf16 kernels yet); running in float32\n`);
  if (c.chatTemplate) process.stderr.write(`poet ${cmd}: warning: chat_template from the config is not applied yet; the tokenizer's own template is used\n`);
}

const help = `poet train: train a causal LM on preference pairs (DPO, IPO, hinge, SimPO, ORPO), with or without POET

Usage: poet train --model DIR --data FILE --output-dir DIR [options]
       poet train --config FILE.yaml --model DIR --data FILE --output-dir DIR [overrides]

Writes OUT/log.jsonl (TRL's metric names: loss, rewards/chosen, rewards/rejected, rewards/accuracies,
rewards/margins, logps/chosen, logps/rejected, grad_norm, learning_rate, tokens_per_second), checkpoints
OUT/checkpoint-N/ (atomic; --resume-from-checkpoint latest continues exactly), and the final model in Hugging
Face layout in OUT. Reference log-probs are computed once and cached (POET_CACHE_DIR, default ~/.cache/poet).
--config takes the alignment-handbook / TRL YAML of the POET and SimPO code (use_poet: true means POET);
flags override it. --truncation: none | poet | poet:F (keep F of the POET length) | response:F (keep F of each
response's own length).

${trainFlagsHelp()}
Examples:
  poet train --model examples/tiny-gpt2 --data examples/pairs.jsonl --output-dir runs/dpo-poet \\
      --loss dpo --truncation poet --learning-rate 1e-4 --num-train-epochs 2 --per-device-train-batch-size 4
  poet train --config test/fixtures/configs/llama-3-8b-base-simpo-poet.yaml \\
      --model examples/tiny-gpt2 --data examples/pairs.jsonl --output-dir runs/simpo-poet --max-steps 2
  poet train ... --save-steps 10 --resume-from-checkpoint latest
`;

export const trainCommand: Command = {
  name: "train",
  summary: "train on preference pairs: dpo, ipo, hinge, simpo, orpo; --truncation poet for POET",
  help,
  async run(argv) {
    const { config, warnings } = loadTrainConfig(argv, { command: "train", purpose: "train" });
    warnAbout("train", config, warnings);
    const o = trainOptionsOf(config);
    const tty = process.stderr.isTTY === true;
    const t0 = performance.now();
    const r = await train(o, (msg) => process.stderr.write(`poet train: ${msg}\n`), (state, m) => {
      const s = (performance.now() - t0) / 1000, eta = (s / state.globalStep) * (state.totalSteps - state.globalStep);
      const line = `step ${state.globalStep}/${state.totalSteps} loss ${m.loss!.toFixed(4)} acc ${m["rewards/accuracies"]!.toFixed(2)} ` +
        `margin ${m["rewards/margins"]!.toFixed(4)} lr ${m.learning_rate!.toExponential(2)} ${m.tokens_per_second!.toFixed(0)} tok/s`;
      if (tty) {
        const w = 20, fill = Math.round((w * state.globalStep) / state.totalSteps);
        process.stderr.write(`\r[${"#".repeat(fill)}${".".repeat(w - fill)}] ${line} ETA ${eta.toFixed(0)}s\x1b[K${state.globalStep === state.totalSteps ? "\n" : ""}`);
      } else process.stderr.write(`${line}\n`);
    });
    process.stderr.write(`poet train: done, ${r.globalStep} steps; model in ${r.outputDir}\n`);
  },
};
