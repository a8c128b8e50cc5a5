// Next-token (language-model) training, for `poet pretrain` and `poet sft`, top to bottom: tokenize documents
// (BOS + text + EOS), hold out a fraction for evaluation, cut them into training sequences (fixed blocks of the
// token stream, or one sequence per document), then per optimizer step: one packed forward over the batch's
// sequences (no padding; sequences never attend to each other), mean token NLL, backward, clipping, AdamW with a
// scheduled rate; metrics to OUT/log.jsonl and the final model in Hugging Face layout, published atomically.
// Shapes: N packed input tokens, M scored tokens (targets), C hidden, V vocabulary.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TextDocument } from "../data/text-documents.js";
import { loadTokenizer, type PoetTokenizer } from "../data/tokenizer.js";
import { getBackend } from "../engine/backend.js";
import { globalGradNorm, scaleGrads } from "./gradients.js";
import { shuffled } from "../engine/random.js";
import { publishModel } from "./publish.js";
import { Tape } from "../engine/tape.js";
import { UserError } from "../errors.js";
import { initModel, loadModel } from "../models/load.js";
import type { CausalLM } from "../models/model.js";
import type { SafeDType } from "../models/safetensors.js";
import { packForScoring, sumPerSequence, tokenLogprobs, type ScoredSequence } from "../models/scoring.js";
import { AdamW } from "./adamw.js";
import { learningRate, warmupSteps, type SchedulerType } from "./schedule.js";

/**
 * How documents become training sequences.
 *  blocks:    documents joined into one token stream (BOS text EOS, BOS text EOS, ...; a BOS equal to the previous
 *             EOS is not repeated), cut into blocks of block_size + 1 tokens overlapping by one, so each block
 *             predicts block_size tokens (GPT-2 / nanoGPT pretraining). A block may span documents.
 *  documents: one sequence per document, BOS + prompt as context and completion + EOS as targets, cut to
 *             block_size + 1 tokens (SFT on short texts).
 */
export type Packing = "blocks" | "documents";

/** Where the weights start. */
export type LmStart =
  | { kind: "new"; tokenizerDir: string; config: (tok: PoetTokenizer) => Record<string, unknown>; initSeed: number }
  | { kind: "model"; modelDir: string };

export interface LmTrainOptions {
  start: LmStart;
  documents: readonly TextDocument[];
  /** Fraction of the documents held out for the eval loss (0: none). */
  evalFraction: number;
  outputDir: string;
  packing: Packing;
  /** Tokens predicted per sequence at most (the model sees block_size + 1 tokens less the last). */
  blockSize: number;
  learningRate: number;
  lrSchedulerType: SchedulerType;
  warmupRatio: number;
  weightDecay: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  /** Clip the global gradient norm to this (0: off). */
  maxGradNorm: number;
  /** Sequences per optimizer step. */
  batchSize: number;
  /** Optimizer steps; 0: numTrainEpochs passes over the training sequences. */
  maxSteps: number;
  numTrainEpochs: number;
  loggingSteps: number;
  /** Eval every N steps (0: only at the end). */
  evalSteps: number;
  seed: number;
  saveDtype: SafeDType;
}

export interface LmTrainReport {
  /** The trained model, in memory (as saved, before any save-dtype rounding). */
  model: CausalLM;
  globalStep: number;
  outputDir: string;
  trainLoss: number;
  evalLoss: number | null;
  trainTokens: number;
  wallSeconds: number;
}

type Log = (msg: string) => void;

/** Token ids of documents: context (BOS + prompt) and targets (completion + EOS). */
export function encodeDocuments(tok: PoetTokenizer, docs: readonly TextDocument[]): ScoredSequence[] {
  const bos = tok.bosTokenId ?? tok.eosTokenId, eos = tok.eosTokenId;
  if (bos === null || eos === null)
    throw new UserError(`${tok.dir}: the tokenizer has no eos_token (nor bos_token): set them in tokenizer_config.json`);
  return docs.map((d) => ({
    prompt: [bos, ...(d.prompt === "" ? [] : tok.encode(d.prompt, { addSpecialTokens: false }))],
    completion: [...tok.encode(d.completion, { addSpecialTokens: false }), eos],
  }));
}

/** Fixed blocks of block_size + 1 tokens from the joined stream of documents (see Packing). Pure. */
export function packBlocks(docs: readonly ScoredSequence[], blockSize: number): ScoredSequence[] {
  const stream: number[] = [];
  for (const d of docs) {
    const [first, ...rest] = d.prompt;
    if (stream.length === 0 || stream[stream.length - 1] !== first) stream.push(first!);
    for (const t of rest) stream.push(t);
    for (const t of d.completion) stream.push(t);
  }
  const out: ScoredSequence[] = [];
  for (let i = 0; i + 1 < stream.length; i += blockSize) {
    const block = stream.slice(i, i + blockSize + 1);
    out.push({ prompt: block.slice(0, 1), completion: block.slice(1) });
  }
  return out;
}

/** Documents cut to block_size + 1 tokens (the completion's head is kept; a too-long prompt keeps its tail). Pure. */
export function fitDocuments(docs: readonly ScoredSequence[], blockSize: number): { seqs: ScoredSequence[]; truncated: number } {
  let truncated = 0;
  const seqs = docs.map((d) => {
    if (d.prompt.length + d.completion.length <= blockSize + 1) return d;
    truncated++;
    const prompt = d.prompt.length > blockSize ? d.prompt.slice(d.prompt.length - Math.ceil(blockSize / 2)) : d.prompt;
    return { prompt, completion: d.completion.slice(0, blockSize + 1 - prompt.length) };
  });
  return { seqs, truncated };
}

/** Summed NLL of each sequence's targets and the number of targets, from one packed forward (no gradient). */
export function sequenceNll(model: CausalLM, seqs: readonly ScoredSequence[]): { nll: Float64Array; tokens: Int32Array } {
  const sb = packForScoring(seqs);
  const lp = tokenLogprobs(model, new Tape(model.backend, false), sb); // (M)
  const sums = sumPerSequence(lp.data, sb);
  return { nll: sums.map((s) => -s), tokens: Int32Array.from(seqs, (s) => s.completion.length) };
}

/** Mean NLL per target token over sequences, evaluated in packed batches of `batchSize` sequences. */
export function meanNll(model: CausalLM, seqs: readonly ScoredSequence[], batchSize: number): number {
  let nll = 0, n = 0;
  for (let i = 0; i < seqs.length; i += batchSize) {
    const r = sequenceNll(model, seqs.slice(i, i + batchSize));
    for (let k = 0; k < r.nll.length; k++) {
      nll += r.nll[k]!;
      n += r.tokens[k]!;
    }
  }
  return nll / Math.max(1, n);
}

/** generation_config.json of a new model (what transformers' generate() reads for its special tokens). */
function generationConfig(tok: PoetTokenizer): Record<string, unknown> {
  return { bos_token_id: tok.bosTokenId, eos_token_id: tok.eosTokenId, pad_token_id: tok.padTokenId ?? tok.eosTokenId };
}

export async function trainLm(o: LmTrainOptions, log: Log, onStep?: (step: number, total: number, m: Record<string, number>) => void): Promise<LmTrainReport> {
  const t0 = performance.now();
  const backend = getBackend();
  mkdirSync(o.outputDir, { recursive: true });
  const sourceDir = o.start.kind === "new" ? o.start.tokenizerDir : o.start.modelDir;
  const tok = await loadTokenizer(sourceDir);
  if (!tok) throw new UserError(`${sourceDir}: no tokenizer.json: ${o.start.kind === "new" ? "pass --tokenizer DIR or --vocab-size N" : "the model directory needs its tokenizer"}`);
  if (tok.eosTokenId === null)
    throw new UserError(`${sourceDir}: the tokenizer has no eos_token: set eos_token in tokenizer_config.json`);
  const model = o.start.kind === "new" ? initModel(o.start.config(tok), o.start.initSeed, backend) : loadModel(o.start.modelDir, backend);
  if (tok.vocabSize > model.vocabSize)
    throw new UserError(`${sourceDir}: the tokenizer has ${tok.vocabSize} tokens but the model's vocab_size is ${model.vocabSize}: raise vocab_size`);
  if (model.maxPositions !== null && o.blockSize > model.maxPositions)
    throw new UserError(`--block-size ${o.blockSize} exceeds the model's ${model.maxPositions} positions: lower --block-size`);
  const declared = Number(model.config.max_position_embeddings ?? Infinity);
  if (o.blockSize > declared)
    log(`warning: --block-size ${o.blockSize} exceeds max_position_embeddings ${declared}`);
  if (o.documents.length === 0) throw new UserError("no documents to train on");

  // hold out whole documents, so no eval text is ever trained on
  const order = shuffled(o.documents.length, o.seed ^ 0x5eed);
  const nEval = o.evalFraction > 0 ? Math.max(1, Math.round(o.evalFraction * o.documents.length)) : 0;
  if (nEval >= o.documents.length) throw new UserError(`--eval-fraction ${o.evalFraction} leaves no training documents`);
  const pick = (idx: number[]) => idx.sort((a, b) => a - b).map((i) => o.documents[i]!);
  const tTok = performance.now();
  const trainDocs = encodeDocuments(tok, pick(order.slice(nEval))), evalDocs = encodeDocuments(tok, pick(order.slice(0, nEval)));
  log(`tokenized ${o.documents.length} documents in ${((performance.now() - tTok) / 1000).toFixed(1)} s`);
  const toSeqs = (docs: ScoredSequence[], what: string) => {
    if (o.packing === "blocks") return packBlocks(docs, o.blockSize);
    const f = fitDocuments(docs, o.blockSize);
    if (f.truncated > 0) log(`${what}: cut ${f.truncated} documents longer than block size ${o.blockSize} + 1 tokens`);
    return f.seqs;
  };
  const trainSeqs = toSeqs(trainDocs, "train"), evalSeqs = toSeqs(evalDocs, "eval");
  const targets = (s: readonly ScoredSequence[]) => s.reduce((n, x) => n + x.completion.length, 0);

  const params = [...model.params.values()].map((p) => p.t);
  for (const p of params) p.requiresGrad = true;
  // as HF Trainer: no weight decay on biases and norm weights (the 1-D parameters)
  const noDecay = new Set(params.filter((p) => p.shape.length === 1));
  const opt = new AdamW(params, { lr: o.learningRate, beta1: o.adamBeta1, beta2: o.adamBeta2, eps: o.adamEpsilon, weightDecay: o.weightDecay }, noDecay);
  const bs = o.batchSize;
  const stepsPerEpoch = Math.ceil(trainSeqs.length / bs);
  const total = o.maxSteps > 0 ? o.maxSteps : Math.max(1, Math.ceil(stepsPerEpoch * o.numTrainEpochs));
  const warmup = warmupSteps(total, o.warmupRatio, 0);
  let nParams = 0;
  for (const p of params) nParams += p.size;
  log(`${o.start.kind === "new" ? "pretraining a new" : "fine-tuning the"} ${model.modelType} model (${(nParams / 1e6).toFixed(2)}M parameters) on ` +
    `${trainSeqs.length} ${o.packing === "blocks" ? "blocks" : "documents"} (${targets(trainSeqs)} tokens), ${evalSeqs.length} eval (${targets(evalSeqs)} tokens): ` +
    `${total} steps of ${bs}, ${backend.name} backend`);

  const logFile = join(o.outputDir, "log.jsonl");
  writeFileSync(logFile, "");
  let evalLoss: number | null = null, trainLoss = NaN, tokensSeen = 0;
  const runEval = (step: number) => {
    if (evalSeqs.length === 0) return;
    evalLoss = meanNll(model, evalSeqs, bs);
    appendFileSync(logFile, JSON.stringify({ step, eval_loss: evalLoss, eval_perplexity: Math.exp(evalLoss) }) + "\n");
    log(`eval at step ${step}: loss ${evalLoss.toFixed(4)} (perplexity ${Math.exp(evalLoss).toFixed(1)})`);
  };

  let windowNll = 0, windowTargets = 0, windowTokens = 0, windowTime = 0;
  let epoch = 0, pos = 0, perm = shuffled(trainSeqs.length, o.seed);
  for (let step = 0; step < total; step++) {
    if (pos >= trainSeqs.length) {
      epoch++;
      pos = 0;
      perm = shuffled(trainSeqs.length, o.seed + epoch);
    }
    const batch = perm.slice(pos, pos + bs).map((i) => trainSeqs[i]!);
    pos += bs;
    const ts = performance.now();
    const sb = packForScoring(batch);
    const M = sb.rows.length;
    const tape = new Tape(backend, true);
    const lp = tokenLogprobs(model, tape, sb); // (M)
    let nll = 0;
    for (let m = 0; m < M; m++) nll -= lp.data[m]!;
    if (!Number.isFinite(nll))
      throw new UserError(`non-finite loss at step ${step + 1} (epoch ${epoch}); lower --learning-rate`);
    // loss = -(1/M) sum_m logp_m  =>  dloss/dlogp_m = -1/M
    lp.grad = backend.alloc(M).fill(-1 / M);
    tape.backward();
    const gradNorm = globalGradNorm(model);
    if (!Number.isFinite(gradNorm)) throw new UserError(`non-finite gradient norm at step ${step + 1}; lower --learning-rate`);
    if (o.maxGradNorm > 0 && gradNorm > o.maxGradNorm) scaleGrads(model, o.maxGradNorm / (gradNorm + 1e-6));
    const lr = learningRate(o.lrSchedulerType, o.learningRate, step, warmup, total);
    opt.update(lr);
    opt.zeroGrad();
    const dt = (performance.now() - ts) / 1000;
    windowNll += nll;
    windowTargets += M;
    windowTokens += sb.batch.ids.length;
    windowTime += dt;
    tokensSeen += sb.batch.ids.length;
    const done = step + 1;
    if (done % Math.max(1, o.loggingSteps) === 0 || done === total) {
      trainLoss = windowNll / windowTargets;
      const entry = {
        step: done, epoch: epoch + pos / trainSeqs.length, loss: trainLoss, grad_norm: gradNorm, learning_rate: lr,
        tokens_per_second: windowTokens / windowTime, tokens_seen: tokensSeen,
      };
      appendFileSync(logFile, JSON.stringify(entry) + "\n");
      onStep?.(done, total, entry);
      windowNll = windowTargets = windowTokens = windowTime = 0;
    }
    if ((o.evalSteps > 0 && done % o.evalSteps === 0) || done === total) runEval(done);
  }
  publishModel(model, o.outputDir, sourceDir, { dtype: o.saveDtype, generationConfig: o.start.kind === "new" ? generationConfig(tok) : null });
  const wallSeconds = (performance.now() - t0) / 1000;
  const report: LmTrainReport = { model, globalStep: total, outputDir: o.outputDir, trainLoss, evalLoss, trainTokens: tokensSeen, wallSeconds };
  writeFileSync(join(o.outputDir, "train_results.json"), JSON.stringify({
    global_step: total, train_loss: trainLoss, eval_loss: evalLoss, train_tokens: tokensSeen, train_runtime: wallSeconds,
  }, null, 2) + "\n");
  return report;
}
