// The bench model: a small Llama (vocab 8192, hidden 256, 4 layers, 8 heads, 4 KV heads, SwiGLU 688).
export const BENCH_CONFIG = {
  architectures: ["LlamaForCausalLM"], model_type: "llama", vocab_size: 8192, hidden_size: 256,
  intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 8, num_key_value_heads: 4,
  hidden_act: "silu", rms_norm_eps: 1e-5, rope_theta: 10000.0, max_position_embeddings: 2048,
  tie_word_embeddings: false, attention_bias: false, mlp_bias: false, bos_token_id: 1, eos_token_id: 2,
  torch_dtype: "float32",
};
