// A Bradley-Terry reward model: a poet CausalLM backbone up to its final norm, and a linear head `score` (1, C)
// on the last token's hidden state, r(x) = score . norm(h_T(x)). Loaded and saved as Hugging Face's
// *ForSequenceClassification with num_labels 1 (backbone weights under their usual names + `score.weight`), the
// layout TRL's RewardTrainer writes. Training lives in reward-model-train.ts; this file only builds and scores.
//
// Shape legend: S sequences packed back to back, N tokens in all, C hidden size.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getBackend } from "../engine/backend.js";
import type { Backend } from "../engine/kernels.js";
import { ops } from "../engine/ops/index.js";
import { Tape } from "../engine/tape.js";
import { Tensor } from "../engine/tensor.js";
import { UserError } from "../errors.js";
import { copyAuxiliaryFiles, loadModel, readModelConfig } from "../models/load.js";
import type { CausalLM, ModelType, PackedBatch, Param } from "../models/model.js";
import { CheckpointParams, RandomParams, transpose2d } from "../models/params.js";
import { architectures } from "../models/registry.js";
import { loadCheckpointWeights, saveCheckpointWeights, type SafeDType } from "../models/safetensors.js";

/** The transformers class each architecture's reward model is saved as (written into config.json `architectures`). */
export const SEQUENCE_CLASSIFICATION: { [K in ModelType]: string } = {
  gpt2: "GPT2ForSequenceClassification",
  llama: "LlamaForSequenceClassification",
  mistral: "MistralForSequenceClassification",
  qwen2: "Qwen2ForSequenceClassification",
};

/** The head's Hugging Face name. */
export const SCORE_WEIGHT = "score.weight";

export interface RewardModel {
  readonly backbone: CausalLM;
  /** The linear head, (1, C), no bias (as transformers' `score = nn.Linear(C, num_labels, bias=False)`). */
  readonly score: Tensor;
  /** config.json as it is written: the backbone's config with architectures, num_labels, pad_token_id set. */
  readonly config: Record<string, unknown>;
  /** Every trainable parameter by its Hugging Face name: the backbone's (without an LM head) and score.weight. */
  readonly params: Map<string, Param>;
}

/** The backbone's config turned into a sequence-classification config with one label. */
function rewardConfig(backbone: CausalLM, base: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {
    ...base,
    architectures: [SEQUENCE_CLASSIFICATION[backbone.modelType]],
    num_labels: 1,
    id2label: { "0": "LABEL_0" },
    label2id: { LABEL_0: 0 },
  };
  // transformers pools at the last non-pad token and refuses batches > 1 without a pad id; EOS is the usual choice.
  const eos = Array.isArray(base.eos_token_id) ? base.eos_token_id[0] : base.eos_token_id;
  if ((base.pad_token_id === undefined || base.pad_token_id === null) && typeof eos === "number") config.pad_token_id = eos;
  return config;
}

function assemble(backbone: CausalLM, score: Tensor, baseConfig: Record<string, unknown>): RewardModel {
  const params = new Map<string, Param>();
  // An untied LM head is not part of a sequence classifier (transformers drops it too).
  for (const [name, p] of backbone.params) if (name !== "lm_head.weight") params.set(name, p);
  params.set(SCORE_WEIGHT, { t: score, transposed: false });
  return { backbone, score, config: rewardConfig(backbone, baseConfig), params };
}

/**
 * A reward model on an existing backbone with a fresh head drawn from normal(0, initializer_range) (0.02 when the
 * config has none), as transformers initialises `score` when a causal LM is loaded for sequence classification.
 */
export function rewardModelFromBackbone(backbone: CausalLM, seed: number): RewardModel {
  const std = typeof backbone.config.initializer_range === "number" ? backbone.config.initializer_range : 0.02;
  const score = new RandomParams(backbone.backend, seed, std).take(SCORE_WEIGHT, { shape: [1, backbone.hiddenSize], init: "normal" }).t;
  return assemble(backbone, score, backbone.config);
}

/** A new reward model from a causal LM directory (its LM head is left out, the score head is new). */
export function initRewardModel(lmDir: string, seed: number, backend: Backend = getBackend()): RewardModel {
  return rewardModelFromBackbone(loadModel(lmDir, backend), seed);
}

/** True when DIR/config.json names a sequence-classification architecture or its weights hold score.weight. */
export function isRewardModelDir(dir: string): boolean {
  const { config } = readModelConfig(dir);
  const arch = Array.isArray(config.architectures) ? config.architectures : [];
  return arch.some((a) => typeof a === "string" && a.endsWith("ForSequenceClassification"));
}

/** Loads a reward model directory (a *ForSequenceClassification checkpoint with one label). */
export function loadRewardModel(dir: string, backend: Backend = getBackend()): RewardModel {
  const { file, config } = readModelConfig(dir);
  const weights = loadCheckpointWeights(dir, { dtype: backend.dtype });
  const head = weights.tensors.get(SCORE_WEIGHT);
  if (!head)
    throw new UserError(`${dir}: no "${SCORE_WEIGHT}" in the weights: not a reward model (a *ForSequenceClassification checkpoint); ` +
      "train one with poet reward --model LM_DIR --data PAIRS --output-dir DIR");
  if (head.shape.length !== 2 || head.shape[0] !== 1)
    throw new UserError(`${dir}: "${SCORE_WEIGHT}" has shape [${head.shape}]: a reward model has one label, shape [1, hidden_size]`);
  const src = new CheckpointParams(dir, weights.tensors, backend);
  // The classifier has no LM head: build the backbone as if tied so that none is looked for (the head is unused).
  const backbone = architectures[config.model_type as ModelType](file, { ...config, tie_word_embeddings: true }, src, backend);
  const score = src.take(SCORE_WEIGHT, { shape: [1, backbone.hiddenSize], init: "normal" }).t;
  return assemble(backbone, score, config);
}

const TORCH_DTYPE: Record<SafeDType, string> = { F32: "float32", F16: "float16", BF16: "bfloat16", F64: "float64" };

/**
 * Writes the reward model into `dir` in Hugging Face layout (config.json + model.safetensors), copying tokenizer
 * files from `tokenizerFrom` when given. Files are written to a temporary directory and renamed into place, so a
 * failed save never leaves a half-written model.
 */
export function saveRewardModel(rm: RewardModel, dir: string, opts: { dtype?: SafeDType; tokenizerFrom?: string } = {}): void {
  const dtype = opts.dtype ?? "F32";
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.tmp-reward-model-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const tensors = [...rm.params].map(([name, p]) => {
    const [r, c] = p.t.shape as [number, number];
    return p.transposed
      ? { name, shape: [c, r], data: transpose2d(rm.backbone.backend, p.t.data, r, c) }
      : { name, shape: [...p.t.shape], data: p.t.data };
  });
  saveCheckpointWeights(tmp, tensors, { dtype });
  writeFileSync(join(tmp, "config.json"), JSON.stringify({ ...rm.config, torch_dtype: TORCH_DTYPE[dtype] }, null, 2) + "\n");
  if (opts.tokenizerFrom !== undefined) copyAuxiliaryFiles(opts.tokenizerFrom, tmp);
  const fresh = new Set(readdirSync(tmp));
  for (const f of readdirSync(dir))
    if (!fresh.has(f) && /^model(-\d+-of-\d+)?\.safetensors$|^model\.safetensors\.index\.json$/.test(f)) rmSync(join(dir, f));
  for (const f of fresh) renameSync(join(tmp, f), join(dir, f));
  rmSync(tmp, { recursive: true, force: true });
}

/** Packs whole sequences back to back; `last` (S) holds the packed index of each sequence's last token. */
export function packSequences(seqs: readonly (readonly number[])[]): { batch: PackedBatch; last: Int32Array } {
  const N = seqs.reduce((s, q) => s + q.length, 0);
  const ids = new Int32Array(N), pos = new Int32Array(N), cu = new Int32Array(seqs.length + 1);
  const last = new Int32Array(seqs.length);
  let n = 0;
  seqs.forEach((q, s) => {
    if (q.length === 0) throw new Error("packSequences: empty sequence");
    for (let t = 0; t < q.length; t++) {
      ids[n + t] = q[t]!;
      pos[n + t] = t;
    }
    n += q.length;
    cu[s + 1] = n;
    last[s] = n - 1;
  });
  return { batch: { ids, pos, seg: { cu, nseq: seqs.length } }, last };
}

/** Rewards (S, 1) of packed sequences: the head on the final-normed hidden state of each sequence's last token. */
export function rewardForward(rm: RewardModel, tape: Tape, batch: PackedBatch, last: Int32Array): Tensor {
  const h = rm.backbone.hidden(tape, batch); // (N, C)
  const hl = rm.backbone.finalNorm(tape, ops.gatherRows(tape, h, last)); // (S, C)
  return ops.linear(tape, hl, rm.score, null); // (S, 1)
}

/** Checks a sequence fits the backbone's positions; `where` names it in the message. */
export function checkRewardSequence(rm: RewardModel, ids: readonly number[], where: string): void {
  if (ids.length === 0) throw new UserError(`${where}: empty sequence: nothing to score`);
  const max = rm.backbone.maxPositions;
  if (max !== null && ids.length > max)
    throw new UserError(`${where}: ${ids.length} tokens exceed the reward model's ${max} positions; shorten the text`);
  for (const id of ids)
    if (id < 0 || id >= rm.backbone.vocabSize)
      throw new UserError(`${where}: token id ${id} is outside the reward model's vocabulary (size ${rm.backbone.vocabSize})`);
}

/** Rewards of token sequences, in float64, forward only, packed under a token budget (default 8192 per pass). */
export function scoreSequences(rm: RewardModel, seqs: readonly (readonly number[])[], batchTokens = 8192): Float64Array {
  const out = new Float64Array(seqs.length);
  let i = 0;
  while (i < seqs.length) {
    const start = i;
    let tokens = 0;
    while (i < seqs.length && (i === start || tokens + seqs[i]!.length <= batchTokens)) tokens += seqs[i++]!.length;
    const { batch, last } = packSequences(seqs.slice(start, i));
    const r = rewardForward(rm, new Tape(rm.backbone.backend, false), batch, last); // (S, 1)
    for (let k = start; k < i; k++) out[k] = r.data[k - start]!;
  }
  return out;
}

/** The reward model directory's tokenizer files exist (text can be scored). */
export function hasTokenizer(dir: string): boolean {
  return existsSync(join(dir, "tokenizer.json"));
}
