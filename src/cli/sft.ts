// `poet sft`: supervised fine-tuning of an existing causal LM on text (next-token loss, one sequence per document),
// e.g. a pretrained base on short in-domain sentences before preference training.
import { trainLm } from "../train/lm-trainer.js";
import { parseFlags, required, type Command } from "./command.js";
import { dataFiles, LM_TRAIN_FLAGS, lmFlagsHelp, lmOptionsOf, readDocuments, doneLine, stepPrinter, type LmDefaults } from "./lm-flags.js";

const DEFAULTS: LmDefaults = {
  learningRate: 1e-3, lrSchedulerType: "cosine", warmupRatio: 0.05, batchSize: 32, blockSize: 128, numTrainEpochs: 3, evalFraction: 0.05,
};

const help = `poet sft: fine-tune a causal language model on text with the next-token loss

Usage: poet sft --model DIR --data FILE... --output-dir DIR [options]

Each document is its own sequence: BOS + text + EOS, the loss on every text token and the EOS (so the model
learns where a text ends); rows with "prompt" and "completion" take the loss on completion + EOS only.
Sequences are packed without padding and never attend to each other. A held-out fraction of the documents
gives the eval loss. OUT receives the model in Hugging Face layout with the tokenizer and generation config
of --model, log.jsonl and train_results.json.

  --model DIR                   Hugging Face model directory to start from (with its tokenizer)

${lmFlagsHelp(DEFAULTS)}
Environment: POET_THREADS (default: all cores).

Examples:
  poet sft --model models/poet-tiny --data reviews.jsonl --output-dir runs/sft --num-train-epochs 2
  poet sft --model out/poet-tiny-base --data ../shared/data/sentiment/uci_imdb.json,../shared/data/sentiment/uci_yelp.json \\
      --output-dir models/poet-tiny --learning-rate 1e-3 --block-size 64 --save-dtype float16
`;

export const sftCommand: Command = {
  name: "sft",
  summary: "fine-tune a causal LM on text or prompt/completion rows (next-token loss)",
  help,
  async run(argv) {
    const cmd = "sft";
    const f = parseFlags(cmd, argv, { ...LM_TRAIN_FLAGS, model: { type: "string" } });
    const modelDir = required(cmd, "model", f.model);
    const o = lmOptionsOf(cmd, f, DEFAULTS);
    const documents = readDocuments(dataFiles(cmd, f.data));
    const log = (msg: string) => process.stderr.write(`poet ${cmd}: ${msg}\n`);
    const r = await trainLm({ ...o, start: { kind: "model", modelDir }, documents, packing: "documents" }, log, stepPrinter(cmd));
    log(doneLine(r));
  },
};
