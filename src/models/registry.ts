// The supported architectures, one entry per Hugging Face `model_type`. Adding a ModelType without its builder
// fails to compile.
import type { Backend } from "../engine/kernels.js";
import { buildGpt2 } from "./gpt2.js";
import { buildLlama } from "./llama.js";
import type { CausalLM, ModelType } from "./model.js";
import type { ParamSource } from "./params.js";

type Builder = (file: string, config: Record<string, unknown>, src: ParamSource, backend: Backend) => CausalLM;

export const architectures: { [K in ModelType]: Builder } = {
  gpt2: buildGpt2,
  llama: (f, c, s, b) => buildLlama("llama", f, c, s, b),
  mistral: (f, c, s, b) => buildLlama("mistral", f, c, s, b),
  qwen2: (f, c, s, b) => buildLlama("qwen2", f, c, s, b),
};

export const SUPPORTED_MODEL_TYPES = Object.keys(architectures) as ModelType[];

export function isModelType(x: unknown): x is ModelType {
  return typeof x === "string" && x in architectures;
}
