// LlamaForCausalLM and its kin (Hugging Face modeling_llama / modeling_mistral / modeling_qwen2): RMSNorm,
// rotary positions, grouped-query attention, SiLU-gated MLP, optional tied head. Qwen2 adds q/k/v biases;
// Mistral (and Qwen2 with use_sliding_window) a sliding attention window.
import type { Backend } from "../engine/kernels.js";
import { ops, ropeInvFreq, ropeTable, type RopeTable } from "../engine/ops/index.js";
import type { Tape } from "../engine/tape.js";
import { whole, type Tensor } from "../engine/tensor.js";
import { UserError } from "../errors.js";
import { ConfigReader } from "./config.js";
import type { Attend, CausalLM, ModelType, PackedBatch, Param } from "./model.js";
import type { ParamSource } from "./params.js";

interface Layer {
  ln1: Tensor; ln2: Tensor;
  q: Tensor; k: Tensor; v: Tensor; o: Tensor; // (H D, C), (G D, C), (G D, C), (C, H D)
  qb: Tensor | null; kb: Tensor | null; vb: Tensor | null; ob: Tensor | null;
  gate: Tensor; up: Tensor; down: Tensor; // (I, C), (I, C), (C, I)
  gateb: Tensor | null; upb: Tensor | null; downb: Tensor | null;
}

/** rope_scaling of config.json applied to the inverse frequencies (default, linear, llama3). */
function scaledInvFreq(c: ConfigReader, D: number, theta: number): number[] {
  const f = ropeInvFreq(D, theta);
  const rs = c.raw.rope_scaling as Record<string, unknown> | null | undefined;
  if (rs === null || rs === undefined) return f;
  const type = String(rs.rope_type ?? rs.type ?? "default");
  const factor = Number(rs.factor ?? 1);
  if (type === "default") return f;
  if (type === "linear") return f.map((x) => x / factor);
  if (type === "llama3") {
    const low = Number(rs.low_freq_factor ?? 1), high = Number(rs.high_freq_factor ?? 4);
    const old = Number(rs.original_max_position_embeddings ?? 8192);
    const lowWavelen = old / low, highWavelen = old / high;
    return f.map((freq) => {
      const wavelen = (2 * Math.PI) / freq;
      if (wavelen < highWavelen) return freq;
      if (wavelen > lowWavelen) return freq / factor;
      const smooth = (old / wavelen - low) / (high - low);
      return (1 - smooth) * (freq / factor) + smooth * freq;
    });
  }
  throw new UserError(`${c.file}: rope_scaling type "${type}" is not supported (supported: default, linear, llama3)`);
}

export function buildLlama(modelType: ModelType, file: string, raw: Record<string, unknown>, src: ParamSource,
  backend: Backend): CausalLM {
  const c = new ConfigReader(file, raw);
  const V = c.int("vocab_size"), C = c.int("hidden_size"), I = c.int("intermediate_size");
  const L = c.int("num_hidden_layers"), H = c.int("num_attention_heads");
  const G = c.int("num_key_value_heads", H);
  const D = c.int("head_dim", Math.floor(C / H));
  const eps = c.num("rms_norm_eps", 1e-6);
  const theta = c.num("rope_theta", 10000);
  c.oneOf("hidden_act", "silu", ["silu"]);
  if (H % G !== 0) throw new UserError(`${file}: num_attention_heads ${H} is not a multiple of num_key_value_heads ${G}`);
  const qwen = modelType === "qwen2";
  const qkvBias = qwen || c.bool("attention_bias", false);
  const oBias = !qwen && c.bool("attention_bias", false);
  const mlpBias = c.bool("mlp_bias", false);
  const useWindow = modelType === "mistral" || (qwen && c.bool("use_sliding_window", false));
  const window = useWindow && c.has("sliding_window") ? c.int("sliding_window") : 0;
  const tied = c.bool("tie_word_embeddings", false);
  const invFreq = scaledInvFreq(c, D, theta);

  const params = new Map<string, Param>();
  const take = (name: string, shape: number[], init: "normal" | "ones" | "zeros") => {
    const p = src.take(name, { shape, init });
    params.set(name, p);
    return p.t;
  };
  const maybe = (on: boolean, name: string, n: number) => (on ? take(name, [n], "zeros") : null);
  const embed = take("model.embed_tokens.weight", [V, C], "normal");
  const layers: Layer[] = [];
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    layers.push({
      ln1: take(`${p}input_layernorm.weight`, [C], "ones"),
      q: take(`${p}self_attn.q_proj.weight`, [H * D, C], "normal"),
      k: take(`${p}self_attn.k_proj.weight`, [G * D, C], "normal"),
      v: take(`${p}self_attn.v_proj.weight`, [G * D, C], "normal"),
      o: take(`${p}self_attn.o_proj.weight`, [C, H * D], "normal"),
      qb: maybe(qkvBias, `${p}self_attn.q_proj.bias`, H * D),
      kb: maybe(qkvBias, `${p}self_attn.k_proj.bias`, G * D),
      vb: maybe(qkvBias, `${p}self_attn.v_proj.bias`, G * D),
      ob: maybe(oBias, `${p}self_attn.o_proj.bias`, C),
      ln2: take(`${p}post_attention_layernorm.weight`, [C], "ones"),
      gate: take(`${p}mlp.gate_proj.weight`, [I, C], "normal"),
      up: take(`${p}mlp.up_proj.weight`, [I, C], "normal"),
      down: take(`${p}mlp.down_proj.weight`, [C, I], "normal"),
      gateb: maybe(mlpBias, `${p}mlp.gate_proj.bias`, I),
      upb: maybe(mlpBias, `${p}mlp.up_proj.bias`, I),
      downb: maybe(mlpBias, `${p}mlp.down_proj.bias`, C),
    });
  }
  const norm = take("model.norm.weight", [C], "ones");
  // A checkpoint that says tied but still ships lm_head.weight: transformers ties anyway, so do we.
  const head = tied ? embed : take("lm_head.weight", [V, C], "normal");
  const attn = { H, G, D, scale: 1 / Math.sqrt(D), window };
  let table: RopeTable | null = null;

  return {
    modelType, config: raw, backend, vocabSize: V, hiddenSize: C, maxPositions: null, params,
    numLayers: L, attentionShape: attn,
    hidden(tape: Tape, batch: PackedBatch, attend?: Attend): Tensor {
      let longest = 0;
      for (let i = 0; i < batch.pos.length; i++) longest = Math.max(longest, batch.pos[i]! + 1);
      if (!table || table.maxPos < longest) table = ropeTable(backend, invFreq, Math.max(longest, 256));
      let x = ops.embedding(tape, batch.ids, embed); // (N, C)
      const att = attend ?? ((_l, q, k, v) => ops.attention(tape, q, k, v, batch.seg, attn));
      for (const [l, y] of layers.entries()) {
        const h = ops.rmsnorm(tape, x, y.ln1, eps); // (N, C)
        const q = ops.rope(tape, ops.linear(tape, h, y.q, y.qb), H, D, table, batch.pos); // (N, H D)
        const k = ops.rope(tape, ops.linear(tape, h, y.k, y.kb), G, D, table, batch.pos); // (N, G D)
        const v = ops.linear(tape, h, y.v, y.vb); // (N, G D)
        const a = att(l, whole(q), whole(k), whole(v)); // (N, H D)
        x = ops.add(tape, x, ops.linear(tape, a, y.o, y.ob));
        const h2 = ops.rmsnorm(tape, x, y.ln2, eps);
        const m = ops.swiglu(tape, ops.linear(tape, h2, y.gate, y.gateb), ops.linear(tape, h2, y.up, y.upb)); // (N, I)
        x = ops.add(tape, x, ops.linear(tape, m, y.down, y.downb));
      }
      return x;
    },
    finalNorm: (tape, h) => ops.rmsnorm(tape, h, norm, eps),
    head: () => head,
  };
}
