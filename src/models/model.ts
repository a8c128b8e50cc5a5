// What every architecture provides to the rest of poet: parameters under their Hugging Face names, a forward pass
// over a packed batch up to the final hidden states, the final norm and the LM head. Log-probs and logits are
// computed from these by `forward.ts`, the same way for every family.
import type { Backend } from "../engine/kernels.js";
import type { AttentionShape, Segments } from "../engine/ops/index.js";
import type { Tape } from "../engine/tape.js";
import type { Tensor, View } from "../engine/tensor.js";

/** Sequences packed back to back: no padding anywhere. */
export interface PackedBatch {
  ids: Int32Array; // (N) token ids
  pos: Int32Array; // (N) position of each token within its own sequence
  seg: Segments; // sequence boundaries
}

/** A parameter as the engine holds it, and how it maps to the Hugging Face tensor of the same name. */
export interface Param {
  t: Tensor;
  /** Hugging Face stores it transposed relative to the engine (GPT-2's Conv1D weights, (in, out)). */
  transposed: boolean;
}

/** Attention of one layer from its q, k, v rows: packed causal attention by default; generation substitutes a
 *  KV-cache-aware version (src/eval/generate.ts). */
export type Attend = (layer: number, q: View, k: View, v: View) => Tensor;

export type ModelType = "gpt2" | "llama" | "mistral" | "qwen2";

export interface CausalLM {
  readonly modelType: ModelType;
  /** config.json as read (written back on save). */
  readonly config: Record<string, unknown>;
  readonly backend: Backend;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  /** Longest sequence the model accepts (null: no limit from the architecture). */
  readonly maxPositions: number | null;
  /** Every trainable parameter, by its Hugging Face name; a tied head appears once, as the embedding. */
  readonly params: Map<string, Param>;
  readonly numLayers: number;
  readonly attentionShape: AttentionShape;
  /** Hidden states after the last block, before the final norm: (N, C). */
  hidden(tape: Tape, batch: PackedBatch, attend?: Attend): Tensor;
  /** The final norm, applied to any rows of hidden states: (M, C) -> (M, C). */
  finalNorm(tape: Tape, h: Tensor): Tensor;
  /** The LM head weight (V, C); the embedding itself when tied. */
  head(): Tensor;
}
