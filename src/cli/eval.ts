// `poet eval`: a model's preference loss and TRL metrics over a data set (forward only).
import { getBackend } from "../engine/backend.js";
import { losses } from "../losses/index.js";
import { loadModel } from "../models/load.js";
import { parseTruncation } from "../data/truncation.js";
import { loadTrainConfig, lossConfigOf, trainFlagsHelp } from "../train/config.js";
import { evaluate, preparePairs, referenceLogps } from "../train/trainer.js";
import type { Command } from "./command.js";
import { warnAbout } from "./train.js";

const help = `poet eval: preference loss and metrics of a model over pairs

Usage: poet eval --model DIR --data FILE [--ref-model DIR] [--loss L] [--truncation T] [--beta B] [--json]

Prints loss, rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, logps/chosen and
logps/rejected (TRL's names), averaged over the pairs; --json prints them as one JSON object. The reference is
--ref-model, or the model itself (rewards then start at 0), and is not used by simpo and orpo. Accepts the same
flags and --config as poet train (training-only ones are ignored); --eval-data is used when given.

${trainFlagsHelp()}
Examples:
  poet eval --model examples/tiny-gpt2 --data examples/pairs.jsonl --loss simpo --truncation poet --json
  poet eval --model runs/dpo --ref-model examples/tiny-gpt2 --data examples/pairs.jsonl --loss dpo --beta 0.1
`;

export const evalCommand: Command = {
  name: "eval",
  summary: "loss and TRL metrics (rewards, margins, accuracies, logps) of a model over pairs",
  help,
  async run(argv) {
    const json = argv.includes("--json");
    const rest = argv.filter((a) => a !== "--json");
    if (!rest.includes("--output-dir") && !rest.some((a) => a.startsWith("--output-dir="))) rest.push("--output-dir", ".");
    const { config, warnings } = loadTrainConfig(rest, { command: "eval", purpose: "eval" });
    warnAbout("eval", config, warnings);
    const model = loadModel(config.model, getBackend());
    const file = config.evalData ?? config.data;
    const log = (m: string) => process.stderr.write(`poet eval: ${m}\n`);
    const pairs = await preparePairs(file, config.model, model, {
      maxLength: config.maxLength, maxPromptLength: config.maxPromptLength,
      truncation: parseTruncation(config.truncation), skipInvalidRows: config.skipInvalidRows,
    }, log);
    const ref = losses[config.loss].needsReference ? referenceLogps(config.refModel ?? config.model, pairs, log, config.refModel ? undefined : model) : null;
    const m = evaluate(model, pairs, ref, config.loss, lossConfigOf(config));
    if (json) process.stdout.write(JSON.stringify({ pairs: pairs.length, ...m }) + "\n");
    else for (const [k, v] of Object.entries(m)) process.stdout.write(`${k.padEnd(20)} ${v.toFixed(6)}\n`);
  },
};
