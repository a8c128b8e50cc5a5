// `poet logps`: sums of completion-token log-probs for every preference pair of a data file, one JSON line each.
import { getBackend } from "../engine/backend.js";
import { loadPairs } from "../data/load-pairs.js";
import { loadModel } from "../models/load.js";
import { pairLogps } from "../models/pair-logps.js";
import { choice, parseFlags, positiveInt, required, type Command } from "./command.js";
import { progress } from "./progress.js";
import { writeJsonLines } from "../atomic-write.js";

const help = `poet logps: log-probabilities of preference pairs under a causal LM

Usage: poet logps --model DIR --data FILE --output FILE.jsonl [options]

Writes one JSON line per pair, in input order:
  {"chosen_logps": sum of log p(chosen token | prompt, previous tokens),
   "rejected_logps": the same for the rejected response,
   "chosen_tokens": n, "rejected_tokens": n}

Options:
  --model DIR            Hugging Face model directory (config.json + model.safetensors or a sharded index;
                         GPT-2, Llama, Mistral, Qwen2). Its tokenizer.json / tokenizer_config.json are used for
                         text and conversational rows.
  --data FILE            .jsonl, .json or .parquet preference rows: prompt_input_ids/chosen_input_ids/
                         rejected_input_ids (used as given), or prompt/chosen/rejected text, or chosen/rejected
                         message lists (rendered with the chat template).
  --output FILE          where to write the JSON lines (written atomically).
  --truncation MODE      none (default) | poet: cut both completions to k = min(|chosen|, |rejected|) tokens,
                         after tokenization; the prompt is never truncated.
  --batch-tokens N       tokens per forward pass (default 8192); pairs are packed without padding.
  --skip-invalid-rows    skip and count malformed rows instead of stopping at the first.
  -h, --help             this help.

Environment: POET_THREADS (default: all cores), POET_BACKEND=native|portable.

Example:
  poet logps --model examples/tiny-llama --data examples/pairs.jsonl --truncation poet --output logps.jsonl
`;

export const logpsCommand: Command = {
  name: "logps",
  summary: "log-probs of chosen and rejected completions, per pair (with or without POET truncation)",
  help,
  async run(argv) {
    const f = parseFlags("logps", argv, {
      model: { type: "string" }, data: { type: "string" }, output: { type: "string" },
      truncation: { type: "string" }, "batch-tokens": { type: "string" }, "skip-invalid-rows": { type: "boolean" },
    });
    const modelDir = required("logps", "model", f.model), data = required("logps", "data", f.data);
    const output = required("logps", "output", f.output);
    const truncation = choice("logps", "truncation", f.truncation, ["none", "poet"] as const, "none");
    const batchTokens = positiveInt("logps", "batch-tokens", f["batch-tokens"], 8192);
    const t0 = performance.now();
    const model = loadModel(modelDir, getBackend());
    const enc = await loadPairs(data, { modelDir, vocabSize: model.vocabSize, skipInvalid: f["skip-invalid-rows"] === true });
    if (enc.skipped > 0) {
      process.stderr.write(`poet logps: skipped ${enc.skipped} invalid rows; first: ${enc.errors[0]}\n`);
    }
    const t1 = performance.now();
    const bar = progress("logps", enc.pairs.length);
    const results = pairLogps(model, enc.pairs, { truncation, batchTokens, onProgress: (d) => bar.update(d) });
    bar.done();
    const t2 = performance.now();
    writeJsonLines(output, results);
    const tokens = results.reduce((s, r) => s + r.chosen_tokens + r.rejected_tokens, 0);
    const b = getBackend().info();
    process.stderr.write(
      `poet logps: ${results.length} pairs (${tokens} completion tokens, truncation ${truncation}) -> ${output}\n` +
      `  load ${((t1 - t0) / 1000).toFixed(2)} s, forward ${((t2 - t1) / 1000).toFixed(2)} s on ${b.backend} (${b.threads} threads)\n`,
    );
  },
};
