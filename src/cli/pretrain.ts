// `poet pretrain`: a new causal LM trained from random weights on plain text (next-token loss on fixed blocks),
// with an existing tokenizer or a byte-level BPE trained here on the same text.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { saveTokenizer, trainBpe } from "../data/bpe-train.js";
import type { PoetTokenizer } from "../data/tokenizer.js";
import { UserError } from "../errors.js";
import { scratchConfig, type ScratchModelType } from "../models/scratch-config.js";
import { trainLm } from "../train/lm-trainer.js";
import { choice, parseFlags, positiveInt, type Command } from "./command.js";
import { dataFiles, LM_TRAIN_FLAGS, lmFlagsHelp, lmOptionsOf, readDocuments, doneLine, stepPrinter, type LmDefaults } from "./lm-flags.js";

const DEFAULTS: LmDefaults = {
  learningRate: 3e-3, lrSchedulerType: "cosine", warmupRatio: 0.02, batchSize: 16, blockSize: 128, numTrainEpochs: 1, evalFraction: 0.02,
};

const help = `poet pretrain: train a new causal language model from random weights on text (next-token loss)

Usage: poet pretrain --data FILE... (--tokenizer DIR | --vocab-size N) --output-dir DIR [architecture] [options]

The documents (BOS + text + EOS each) are joined into one token stream and cut into blocks of --block-size
predicted tokens. A held-out fraction of the documents gives the eval loss. OUT receives config.json,
model.safetensors, the tokenizer files, generation_config.json, log.jsonl and train_results.json; the model
loads in transformers (LlamaForCausalLM / GPT2LMHeadModel) and in every poet command.

Tokenizer:
  --tokenizer DIR               use DIR's tokenizer.json / tokenizer_config.json (needs an eos_token)
  --vocab-size N                or train a GPT-2-style byte-level BPE of N tokens on the --data text (and on
                                --tokenizer-data), with <|endoftext|> as BOS, EOS and PAD; saved into OUT
  --tokenizer-data FILE         extra text the BPE should cover but the model is not trained on (repeatable)

Architecture (or --config FILE.json, a Hugging Face config.json; vocab_size and bos/eos ids are filled in
from the tokenizer when missing):
  --model-type TYPE             llama | gpt2 (default llama; always with a tied embedding and LM head)
  --hidden-size C               default 128
  --num-layers L                default 4
  --num-heads H                 default 4
  --num-kv-heads G              key/value heads, llama only (default: --num-heads)
  --intermediate-size I         MLP width (default: llama 8C/3 rounded up to 32, gpt2 4C)
  --max-position-embeddings P   default 256

${lmFlagsHelp(DEFAULTS)}
Environment: POET_THREADS (default: all cores).

Examples:
  poet pretrain --data notes.txt --vocab-size 1024 --output-dir runs/tiny --max-steps 200 --hidden-size 64
  poet pretrain --data ../shared/data/corpora/austen/emma.txt,../shared/data/corpora/austen/persuasion.txt \\
      --vocab-size 4096 --tokenizer-data reviews.jsonl --output-dir runs/austen --model-type llama \\
      --hidden-size 160 --num-layers 4 --num-heads 4 --num-kv-heads 2 --max-steps 3000 --save-dtype float16
  poet pretrain --data corpus.jsonl --tokenizer models/poet-tiny --config my-config.json --output-dir runs/b
`;

function readConfigFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new UserError(`${file}: no such config file (a Hugging Face config.json)`);
  let c: unknown;
  try {
    c = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  if (typeof c !== "object" || c === null || Array.isArray(c)) throw new UserError(`${file}: expected a JSON object`);
  return c as Record<string, unknown>;
}

export const pretrainCommand: Command = {
  name: "pretrain",
  summary: "train a new small LM from scratch on text (optionally with its own byte-level BPE)",
  help,
  async run(argv) {
    const cmd = "pretrain";
    const f = parseFlags(cmd, argv, {
      ...LM_TRAIN_FLAGS,
      tokenizer: { type: "string" }, "vocab-size": { type: "string" }, "tokenizer-data": { type: "string", multiple: true },
      config: { type: "string" }, "model-type": { type: "string" }, "hidden-size": { type: "string" },
      "num-layers": { type: "string" }, "num-heads": { type: "string" }, "num-kv-heads": { type: "string" },
      "intermediate-size": { type: "string" }, "max-position-embeddings": { type: "string" },
    });
    const o = lmOptionsOf(cmd, f, DEFAULTS);
    const documents = readDocuments(dataFiles(cmd, f.data));
    const log = (msg: string) => process.stderr.write(`poet ${cmd}: ${msg}\n`);

    if ((f.tokenizer === undefined) === (f["vocab-size"] === undefined))
      throw new UserError(`poet ${cmd}: pass exactly one of --tokenizer DIR and --vocab-size N; see poet ${cmd} --help`);
    let tokenizerDir = f.tokenizer ?? o.outputDir;
    if (f["vocab-size"] !== undefined) {
      const vocabSize = positiveInt(cmd, "vocab-size", f["vocab-size"], 0);
      const extra = f["tokenizer-data"] === undefined ? [] : readDocuments(dataFiles(cmd, f["tokenizer-data"]));
      const t0 = performance.now();
      const bpe = trainBpe([...documents, ...extra].map((d) => `${d.prompt}${d.completion}`), { vocabSize });
      saveTokenizer(bpe, o.outputDir);
      tokenizerDir = o.outputDir;
      log(`trained a byte-level BPE of ${bpe.vocab.length} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${join(o.outputDir, "tokenizer.json")}`);
    }

    let config: (tok: PoetTokenizer) => Record<string, unknown>;
    if (f.config !== undefined) {
      const file = f.config, raw = readConfigFile(file);
      config = (tok) => ({ vocab_size: tok.vocabSize, bos_token_id: tok.bosTokenId, eos_token_id: tok.eosTokenId, ...raw });
      for (const k of ["model-type", "hidden-size", "num-layers", "num-heads", "num-kv-heads", "intermediate-size", "max-position-embeddings"] as const)
        if (f[k] !== undefined) throw new UserError(`poet ${cmd}: --${k} and --config ${file} both set the architecture: use one`);
    } else {
      const type = choice<ScratchModelType>(cmd, "model-type", f["model-type"], ["llama", "gpt2"], "llama");
      const C = positiveInt(cmd, "hidden-size", f["hidden-size"], 128);
      const H = positiveInt(cmd, "num-heads", f["num-heads"], 4);
      const I = positiveInt(cmd, "intermediate-size", f["intermediate-size"], type === "llama" ? Math.ceil((8 * C) / 3 / 32) * 32 : 4 * C);
      const sizes = {
        hiddenSize: C, numHeads: H, intermediateSize: I, numKvHeads: positiveInt(cmd, "num-kv-heads", f["num-kv-heads"], H),
        numLayers: positiveInt(cmd, "num-layers", f["num-layers"], 4),
        maxPositions: positiveInt(cmd, "max-position-embeddings", f["max-position-embeddings"], 256),
      };
      if (o.blockSize > sizes.maxPositions)
        throw new UserError(`poet ${cmd}: --block-size ${o.blockSize} exceeds --max-position-embeddings ${sizes.maxPositions}: lower one or raise the other`);
      scratchConfig(type, { ...sizes, vocabSize: 1, bosTokenId: 0, eosTokenId: 0 }); // size errors before any work
      config = (tok) => scratchConfig(type, { ...sizes, vocabSize: tok.vocabSize, bosTokenId: tok.bosTokenId ?? tok.eosTokenId!, eosTokenId: tok.eosTokenId! });
    }
    const r = await trainLm({ ...o, start: { kind: "new", tokenizerDir, config, initSeed: o.seed }, documents, packing: "blocks" }, log, stepPrinter(cmd));
    log(doneLine(r));
  },
};
