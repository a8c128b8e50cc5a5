// Next-token training (poet pretrain / poet sft): the loss of a tiny model falls on a repetitive corpus; packed
// sequences never see each other (a packed batch's NLL is the sum of each document's own NLL); blocks and
// document fitting keep every token; the saved model reloads to the same logits; the commands write a usable
// Hugging Face directory and reject bad flags with a UserError.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pretrainCommand } from "../src/cli/pretrain.js";
import { sftCommand } from "../src/cli/sft.js";
import { saveTokenizer, trainBpe } from "../src/data/bpe-train.js";
import { paragraphs, readTextDocuments, type TextDocument } from "../src/data/text-documents.js";
import { loadTokenizer } from "../src/data/tokenizer.js";
import { getBackend } from "../src/engine/backend.js";
import { Tape } from "../src/engine/tape.js";
import { UserError } from "../src/errors.js";
import { initModel, loadModel } from "../src/models/load.js";
import { logits, type ScoredSequence } from "../src/models/scoring.js";
import { scratchConfig } from "../src/models/scratch-config.js";
import { encodeDocuments, fitDocuments, packBlocks, sequenceNll, trainLm, type LmTrainOptions } from "../src/train/lm-trainer.js";

const doc = (completion: string, prompt = ""): TextDocument => ({ prompt, completion, source: { file: "mem" } });
const CORPUS = ["the cat sat on the mat.", "the dog sat on the log.", "a cat and a dog sat on a mat."];

function tinyTokenizerDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "poet-lm-tok-"));
  saveTokenizer(trainBpe(CORPUS, { vocabSize: 280 }), dir);
  return dir;
}

const tinyConfig = (vocabSize: number) => scratchConfig("llama", {
  vocabSize, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 64, maxPositions: 64, bosTokenId: 0, eosTokenId: 0,
});

function options(over: Partial<LmTrainOptions> & Pick<LmTrainOptions, "start" | "documents">): LmTrainOptions {
  return {
    evalFraction: 0, outputDir: mkdtempSync(join(tmpdir(), "poet-lm-out-")), packing: "documents", blockSize: 32,
    learningRate: 1e-2, lrSchedulerType: "constant", warmupRatio: 0, weightDecay: 0, adamBeta1: 0.9, adamBeta2: 0.95,
    adamEpsilon: 1e-8, maxGradNorm: 1, batchSize: 8, maxSteps: 60, numTrainEpochs: 1, loggingSteps: 1, evalSteps: 0,
    seed: 3, saveDtype: "F32", ...over,
  };
}

test("packBlocks: one stream, a shared BOS/EOS not repeated, blocks of T + 1 overlapping by one", () => {
  const docs: ScoredSequence[] = [{ prompt: [0], completion: [5, 6, 0] }, { prompt: [0], completion: [7, 0] }, { prompt: [0, 9], completion: [8, 0] }];
  // stream: 0 5 6 0 7 0 9 8 0
  assert.deepEqual(packBlocks(docs, 4), [
    { prompt: [0], completion: [5, 6, 0, 7] }, { prompt: [7], completion: [0, 9, 8, 0] },
  ]);
  assert.deepEqual(packBlocks(docs, 3), [
    { prompt: [0], completion: [5, 6, 0] }, { prompt: [0], completion: [7, 0, 9] }, { prompt: [9], completion: [8, 0] },
  ]);
  const distinct: ScoredSequence[] = [{ prompt: [1], completion: [5, 2] }, { prompt: [1], completion: [6, 2] }];
  assert.deepEqual(packBlocks(distinct, 10), [{ prompt: [1], completion: [5, 2, 1, 6, 2] }], "BOS kept when it differs from EOS");
});

test("fitDocuments: long documents keep their head within T + 1 tokens; short ones are untouched", () => {
  const r = fitDocuments([{ prompt: [0], completion: [1, 2, 3, 4, 5, 0] }, { prompt: [0, 7], completion: [1, 0] }], 4);
  assert.deepEqual(r.seqs, [{ prompt: [0], completion: [1, 2, 3, 4] }, { prompt: [0, 7], completion: [1, 0] }]);
  assert.equal(r.truncated, 1);
});

test("text documents: paragraphs unwrap lines; .json rows skip empty text; prompt/completion rows", () => {
  assert.deepEqual(paragraphs("CHAPTER I\n\n\nIt was a\ntruth  \r\nuniversally acknowledged.\n \nEnd"), ["CHAPTER I", "It was a truth universally acknowledged.", "End"]);
  const dir = mkdtempSync(join(tmpdir(), "poet-lm-docs-"));
  writeFileSync(join(dir, "a.json"), JSON.stringify([{ text: "Great food.  ", class: 1 }, { text: "  " }]));
  assert.deepEqual(readTextDocuments(join(dir, "a.json")).map((d) => d.completion), ["Great food."]);
  writeFileSync(join(dir, "b.jsonl"), `{"prompt":"Q: hi","completion":" A: hello"}\n\n{"nope":1}\n`);
  assert.throws(() => readTextDocuments(join(dir, "b.jsonl")), (e: unknown) => e instanceof UserError && /b\.jsonl:3: no string "text"/.test(e.message));
});

test("packed sequences never attend to each other: a batch's NLL is each document's own NLL", async () => {
  const tok = (await loadTokenizer(tinyTokenizerDir()))!;
  const model = initModel(tinyConfig(tok.vocabSize), 11, getBackend());
  const seqs = encodeDocuments(tok, [doc(CORPUS[0]!), doc(CORPUS[1]!), doc(CORPUS[2]!, "context: ")]);
  assert.deepEqual(seqs[2]!.prompt.slice(0, 1), [0], "BOS first");
  assert.equal(seqs[2]!.completion.at(-1), 0, "EOS last");
  const packed = sequenceNll(model, seqs);
  seqs.forEach((s, i) => {
    const alone = sequenceNll(model, [s]);
    assert.ok(Math.abs(packed.nll[i]! - alone.nll[0]!) < 1e-4 * Math.abs(alone.nll[0]!), `doc ${i}: ${packed.nll[i]} vs ${alone.nll[0]}`);
    assert.equal(packed.tokens[i], s.completion.length, "only completion + EOS are targets");
  });
  // changing document 0 leaves document 1's NLL bit-for-bit unchanged when packed after it
  const changed = sequenceNll(model, [{ prompt: [0], completion: seqs[1]!.completion }, seqs[1]!]);
  assert.ok(Math.abs(changed.nll[1]! - packed.nll[1]!) < 1e-4 * packed.nll[1]!);
});

test("the loss falls on a repetitive corpus, and the saved model reloads to the same logits", async () => {
  const tokenizerDir = tinyTokenizerDir();
  const documents = Array.from({ length: 24 }, (_, i) => doc(CORPUS[i % 3]!));
  const o = options({ start: { kind: "new", tokenizerDir, config: (t) => tinyConfig(t.vocabSize), initSeed: 5 }, documents, evalFraction: 0.125 });
  const r = await trainLm(o, () => {});
  const log = readFileSync(join(o.outputDir, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
  const losses = log.filter((e) => e.loss !== undefined).map((e) => e.loss!);
  assert.equal(losses.length, 60);
  assert.ok(losses[0]! > Math.log(280) - 0.5, `starts near uniform: ${losses[0]}`);
  assert.ok(losses.at(-1)! < 0.35 * losses[0]!, `falls: ${losses[0]} -> ${losses.at(-1)}`);
  for (const k of ["grad_norm", "learning_rate", "tokens_per_second"]) assert.ok(Number.isFinite(log[0]![k]), k);
  assert.ok(r.evalLoss !== null && r.evalLoss < losses[0]!, "held-out documents of the same corpus got easier too");

  for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "train_results.json"])
    assert.ok(existsSync(join(o.outputDir, f)), f);
  const reloaded = loadModel(o.outputDir, getBackend());
  const batch = { ids: Int32Array.from([0, 5, 9, 3, 0, 7]), pos: Int32Array.from([0, 1, 2, 3, 0, 1]), seg: { cu: Int32Array.from([0, 4, 6]), nseq: 2 } };
  const a = logits(r.model, new Tape(getBackend(), false), batch).data, b = logits(reloaded, new Tape(getBackend(), false), batch).data;
  assert.deepEqual(Array.from(b), Array.from(a), "float32 save is exact");
});

test("poet pretrain (own BPE) then poet sft on prompt/completion rows: usable Hugging Face directories", async () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-lm-cli-"));
  writeFileSync(join(dir, "book.txt"), Array.from({ length: 30 }, (_, i) => `${CORPUS[i % 3]}\nand so on,\nday ${i}.\n`).join("\n"));
  const base = join(dir, "base"), tuned = join(dir, "tuned");
  const quiet = process.stderr.write.bind(process.stderr);
  process.stderr.write = () => true;
  try {
    await pretrainCommand.run(["--data", join(dir, "book.txt"), "--vocab-size", "270", "--output-dir", base, "--hidden-size", "32",
      "--num-layers", "1", "--num-heads", "2", "--max-position-embeddings", "32", "--block-size", "16", "--max-steps", "3",
      "--save-dtype", "bfloat16"]);
    writeFileSync(join(dir, "sft.jsonl"), `{"prompt":"the cat","completion":" sat on the mat."}\n{"text":"a dog sat."}\n`);
    await sftCommand.run(["--model", base, "--data", join(dir, "sft.jsonl"), "--output-dir", tuned, "--max-steps", "2", "--eval-fraction", "0", "--logging-steps", "1"]);
  } finally {
    process.stderr.write = quiet;
  }
  const cfg = JSON.parse(readFileSync(join(base, "config.json"), "utf8"));
  assert.equal(cfg.model_type, "llama");
  assert.equal(cfg.vocab_size, 270);
  assert.equal(cfg.torch_dtype, "bfloat16");
  const tok = (await loadTokenizer(tuned))!;
  assert.equal(tok.eosTokenId, 0);
  assert.equal(tok.decode(tok.encode("the cat sat, day 7.", { addSpecialTokens: false })), "the cat sat, day 7.");
  assert.equal(loadModel(tuned, getBackend()).vocabSize, 270);
  assert.equal(readFileSync(join(tuned, "log.jsonl"), "utf8").trim().split("\n").length, 2);

  const bad = async (cmd: typeof pretrainCommand, argv: string[], re: RegExp) =>
    assert.rejects(cmd.run(argv), (e: unknown) => e instanceof UserError && re.test(e.message));
  await bad(pretrainCommand, ["--data", join(dir, "book.txt"), "--output-dir", join(dir, "x")], /exactly one of --tokenizer DIR and --vocab-size/);
  await bad(pretrainCommand, ["--data", join(dir, "book.txt"), "--vocab-size", "300", "--output-dir", join(dir, "x"), "--hidden-size", "30", "--num-heads", "4"],
    /not a multiple of --num-heads/);
  await bad(sftCommand, ["--model", base, "--data", join(dir, "missing.txt"), "--output-dir", join(dir, "x")], /missing\.txt: no such file/);
  await bad(sftCommand, ["--model", base, "--data", join(dir, "sft.jsonl"), "--output-dir", join(dir, "x"), "--learning-rate", "fast"], /--learning-rate fast/);
});
