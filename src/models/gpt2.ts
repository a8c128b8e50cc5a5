// GPT2LMHeadModel (Hugging Face modeling_gpt2): learned positions, pre-LayerNorm blocks, fused qkv (c_attn),
// tanh GELU, head tied to the token embedding. Conv1D weights are stored (in, out); the engine holds (out, in).
import { ops } from "../engine/ops/index.js";
import type { Tape } from "../engine/tape.js";
import type { Tensor } from "../engine/tensor.js";
import type { Backend } from "../engine/kernels.js";
import { UserError } from "../errors.js";
import { ConfigReader } from "./config.js";
import type { Attend, CausalLM, PackedBatch, Param } from "./model.js";
import type { ParamSource } from "./params.js";

interface Block {
  ln1w: Tensor; ln1b: Tensor;
  attnW: Tensor; attnB: Tensor; // (3C, C), (3C)
  projW: Tensor; projB: Tensor; // (C, C), (C)
  ln2w: Tensor; ln2b: Tensor;
  fcW: Tensor; fcB: Tensor; // (F, C), (F)
  fc2W: Tensor; fc2B: Tensor; // (C, F), (C)
}

export function buildGpt2(file: string, raw: Record<string, unknown>, src: ParamSource, backend: Backend): CausalLM {
  const c = new ConfigReader(file, raw);
  const V = c.int("vocab_size"), C = c.int("n_embd"), L = c.int("n_layer"), H = c.int("n_head");
  const P = c.int("n_positions", c.int("n_ctx", 1024));
  const F = c.has("n_inner") ? c.int("n_inner") : 4 * C;
  const eps = c.num("layer_norm_epsilon", 1e-5);
  c.oneOf("activation_function", "gelu_new", ["gelu_new", "gelu_pytorch_tanh"]);
  if (c.bool("scale_attn_by_inverse_layer_idx", false))
    throw new UserError(`${file}: "scale_attn_by_inverse_layer_idx": true is not supported`);
  const scaleAttn = c.bool("scale_attn_weights", true);
  if (C % H !== 0) throw new UserError(`${file}: n_embd ${C} is not a multiple of n_head ${H}`);
  const D = C / H;

  const params = new Map<string, Param>();
  // Checkpoints saved from GPT2Model lack the "transformer." prefix; accept both, save with it.
  const take = (name: string, shape: number[], init: "normal" | "ones" | "zeros", transposed = false) => {
    const p = src.take(`transformer.${name}`, { shape, init, transposed }, [name]);
    params.set(`transformer.${name}`, p);
    return p.t;
  };
  const wte = take("wte.weight", [V, C], "normal");
  const wpe = take("wpe.weight", [P, C], "normal");
  const blocks: Block[] = [];
  for (let l = 0; l < L; l++) {
    const h = `h.${l}.`;
    blocks.push({
      ln1w: take(`${h}ln_1.weight`, [C], "ones"), ln1b: take(`${h}ln_1.bias`, [C], "zeros"),
      attnW: take(`${h}attn.c_attn.weight`, [C, 3 * C], "normal", true), attnB: take(`${h}attn.c_attn.bias`, [3 * C], "zeros"),
      projW: take(`${h}attn.c_proj.weight`, [C, C], "normal", true), projB: take(`${h}attn.c_proj.bias`, [C], "zeros"),
      ln2w: take(`${h}ln_2.weight`, [C], "ones"), ln2b: take(`${h}ln_2.bias`, [C], "zeros"),
      fcW: take(`${h}mlp.c_fc.weight`, [C, F], "normal", true), fcB: take(`${h}mlp.c_fc.bias`, [F], "zeros"),
      fc2W: take(`${h}mlp.c_proj.weight`, [F, C], "normal", true), fc2B: take(`${h}mlp.c_proj.bias`, [C], "zeros"),
    });
  }
  const lnfw = take("ln_f.weight", [C], "ones"), lnfb = take("ln_f.bias", [C], "zeros");
  const attn = { H, G: H, D, scale: scaleAttn ? 1 / Math.sqrt(D) : 1, window: 0 };

  return {
    modelType: "gpt2", config: raw, backend, vocabSize: V, hiddenSize: C, maxPositions: P, params,
    numLayers: L, attentionShape: attn,
    hidden(tape: Tape, batch: PackedBatch, attend?: Attend): Tensor {
      let x = ops.add(tape, ops.embedding(tape, batch.ids, wte), ops.embedding(tape, batch.pos, wpe)); // (N, C)
      const att = attend ?? ((_l, q, k, v) => ops.attention(tape, q, k, v, batch.seg, attn));
      for (const [l, b] of blocks.entries()) {
        const qkv = ops.linear(tape, ops.layernorm(tape, x, b.ln1w, b.ln1b, eps), b.attnW, b.attnB); // (N, 3C)
        const a = att(l, { t: qkv, off: 0, ld: 3 * C }, { t: qkv, off: C, ld: 3 * C }, { t: qkv, off: 2 * C, ld: 3 * C }); // (N, C)
        x = ops.add(tape, x, ops.linear(tape, a, b.projW, b.projB));
        const m = ops.gelu(tape, ops.linear(tape, ops.layernorm(tape, x, b.ln2w, b.ln2b, eps), b.fcW, b.fcB)); // (N, F)
        x = ops.add(tape, x, ops.linear(tape, m, b.fc2W, b.fc2B));
      }
      return x;
    },
    finalNorm: (tape, h) => ops.layernorm(tape, h, lnfw, lnfb, eps),
    head: () => wte,
  };
}
