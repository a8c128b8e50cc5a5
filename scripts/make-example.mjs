// Regenerates examples/: a tiny randomly initialised GPT-2 (BF16, real GPT-2 tokenizer) and 16 text preference
// pairs built from UCI sentiment sentences. Not trained: it exists so that the quick start runs end to end on
// real files; trained small models come with `poet pretrain` (issue 4). Run after `npm run build`.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { initModel, saveModel } from "../dist/src/models/load.js";

const SHARED = process.argv[2] ?? "../shared/data";
const dir = "examples/tiny-gpt2";
mkdirSync(dir, { recursive: true });
const config = {
  architectures: ["GPT2LMHeadModel"], model_type: "gpt2", vocab_size: 50257, n_positions: 256, n_embd: 32,
  n_layer: 2, n_head: 4, n_inner: null, activation_function: "gelu_new", layer_norm_epsilon: 1e-5,
  bos_token_id: 50256, eos_token_id: 50256, tie_word_embeddings: true,
};
saveModel(initModel(config, 42), dir, { dtype: "BF16" });
for (const f of ["tokenizer.json", "tokenizer_config.json"]) copyFileSync(`${SHARED}/tokenizers/gpt2/${f}`, `${dir}/${f}`);

const rows = JSON.parse(readFileSync(`${SHARED}/sentiment/uci_imdb.json`, "utf8"));
const pos = rows.filter((r) => r.class === 1).map((r) => r.text.trim());
const neg = rows.filter((r) => r.class === 0).map((r) => r.text.trim());
const lines = [];
for (let i = 0; i < 16; i++)
  lines.push(JSON.stringify({ prompt: "Here is my review of the film:", chosen: " " + pos[i], rejected: " " + neg[i] }));
writeFileSync("examples/pairs.jsonl", lines.join("\n") + "\n");
