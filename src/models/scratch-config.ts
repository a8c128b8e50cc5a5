// config.json of a new, untrained model (for `poet pretrain`): the architecture's Hugging Face keys from a few
// sizes, so the trained directory loads in transformers as LlamaForCausalLM or GPT2LMHeadModel. Does not init weights.
import { UserError } from "../errors.js";

export type ScratchModelType = "llama" | "gpt2";

export interface ScratchSizes {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Grouped-query attention: key/value heads (llama only; must divide numHeads). */
  numKvHeads: number;
  /** MLP width (llama: the SiLU-gated width; gpt2: n_inner). */
  intermediateSize: number;
  maxPositions: number;
  bosTokenId: number;
  eosTokenId: number;
}

const BUILDERS: { [K in ScratchModelType]: (s: ScratchSizes) => Record<string, unknown> } = {
  llama: (s) => ({
    architectures: ["LlamaForCausalLM"], model_type: "llama", vocab_size: s.vocabSize, hidden_size: s.hiddenSize,
    intermediate_size: s.intermediateSize, num_hidden_layers: s.numLayers, num_attention_heads: s.numHeads,
    num_key_value_heads: s.numKvHeads, head_dim: s.hiddenSize / s.numHeads, max_position_embeddings: s.maxPositions,
    hidden_act: "silu", rms_norm_eps: 1e-5, rope_theta: 10000, attention_bias: false, mlp_bias: false,
    tie_word_embeddings: true, initializer_range: 0.02, bos_token_id: s.bosTokenId, eos_token_id: s.eosTokenId,
  }),
  gpt2: (s) => ({
    architectures: ["GPT2LMHeadModel"], model_type: "gpt2", vocab_size: s.vocabSize, n_positions: s.maxPositions,
    n_embd: s.hiddenSize, n_layer: s.numLayers, n_head: s.numHeads, n_inner: s.intermediateSize,
    activation_function: "gelu_new", layer_norm_epsilon: 1e-5, tie_word_embeddings: true, initializer_range: 0.02,
    bos_token_id: s.bosTokenId, eos_token_id: s.eosTokenId,
  }),
};

/** The config.json object of a new model; UserError when the sizes do not fit together. */
export function scratchConfig(type: ScratchModelType, s: ScratchSizes): Record<string, unknown> {
  if (s.hiddenSize % s.numHeads !== 0)
    throw new UserError(`--hidden-size ${s.hiddenSize} is not a multiple of --num-heads ${s.numHeads}: change one of them`);
  if (type === "llama" && s.numHeads % s.numKvHeads !== 0)
    throw new UserError(`--num-heads ${s.numHeads} is not a multiple of --num-kv-heads ${s.numKvHeads}: change one of them`);
  if (type === "llama" && (s.hiddenSize / s.numHeads) % 2 !== 0)
    throw new UserError(`head size ${s.hiddenSize / s.numHeads} (--hidden-size / --num-heads) must be even for rotary positions`);
  return BUILDERS[type](s);
}
