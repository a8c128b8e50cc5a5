// Loading and saving Hugging Face model directories: config.json plus model.safetensors or a sharded
// model.safetensors.index.json. Saved back in the same layout and names, so transformers can load the result.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { getBackend } from "../engine/backend.js";
import type { Backend } from "../engine/kernels.js";
import { UserError } from "../errors.js";
import type { CausalLM } from "./model.js";
import { CheckpointParams, RandomParams, transpose2d } from "./params.js";
import { architectures, isModelType, SUPPORTED_MODEL_TYPES } from "./registry.js";
import { loadCheckpointWeights, saveCheckpointWeights, type SafeDType } from "./safetensors.js";
import { writeFileAtomic } from "../atomic-write.js";

/** Reads and checks `DIR/config.json`. */
export function readModelConfig(dir: string): { file: string; config: Record<string, unknown> } {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`${dir}: no such model directory (expected a Hugging Face model directory with config.json and model.safetensors)`);
  const file = join(dir, "config.json");
  if (!existsSync(file)) throw new UserError(`${file}: not found: a Hugging Face model directory needs config.json`);
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config))
    throw new UserError(`${file}: expected a JSON object`);
  const cfg = config as Record<string, unknown>;
  if (!isModelType(cfg.model_type))
    throw new UserError(`${file}: model_type ${JSON.stringify(cfg.model_type)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(", ")})`);
  return { file, config: cfg };
}

/** Loads a model directory onto a backend (default: the process backend). */
export function loadModel(dir: string, backend: Backend = getBackend()): CausalLM {
  const { file, config } = readModelConfig(dir);
  const weights = loadCheckpointWeights(dir, { dtype: backend.dtype });
  const src = new CheckpointParams(dir, weights.tensors, backend);
  return architectures[config.model_type as keyof typeof architectures](file, config, src, backend);
}

/** A new model with seeded random weights (std 0.02), from a config object. */
export function initModel(config: Record<string, unknown>, seed: number, backend: Backend = getBackend()): CausalLM {
  if (!isModelType(config.model_type))
    throw new UserError(`config: model_type ${JSON.stringify(config.model_type)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(", ")})`);
  return architectures[config.model_type]("config", config, new RandomParams(backend, seed), backend);
}

/** The files besides config and weights that make a directory usable as a model: tokenizer, templates, generation. */
export const AUXILIARY_FILES = [
  "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt",
  "tokenizer.model", "chat_template.jinja", "chat_template.json", "generation_config.json",
];

/** Copies tokenizer and generation files from a source model directory, as HF's Trainer saves the tokenizer. */
export function copyAuxiliaryFiles(from: string, to: string): void {
  for (const f of AUXILIARY_FILES) if (existsSync(join(from, f))) copyFileSync(join(from, f), join(to, f));
}

const TORCH_DTYPE: Record<SafeDType, string> = { F32: "float32", F16: "float16", BF16: "bfloat16", F64: "float64" };

/** Writes config.json and the weights (Hugging Face names and layout; a tied head is not stored twice). */
export function saveModel(model: CausalLM, dir: string, opts: { dtype?: SafeDType; maxShardBytes?: number } = {}): void {
  const dtype = opts.dtype ?? "F32";
  mkdirSync(dir, { recursive: true });
  const tensors = [...model.params].map(([name, p]) => {
    const [r, c] = p.t.shape as [number, number];
    return p.transposed
      ? { name, shape: [c, r], data: transpose2d(model.backend, p.t.data, r, c) }
      : { name, shape: [...p.t.shape], data: p.t.data };
  });
  saveCheckpointWeights(dir, tensors, { dtype, ...(opts.maxShardBytes ? { maxShardBytes: opts.maxShardBytes } : {}) });
  const config = { ...model.config, torch_dtype: TORCH_DTYPE[dtype] };
  const file = join(dir, "config.json");
  writeFileAtomic(file, JSON.stringify(config, null, 2) + "\n");
}
