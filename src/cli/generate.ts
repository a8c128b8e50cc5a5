// `poet generate`: completions for the prompts of a data file, batched, with a KV cache.
import { getBackend } from "../engine/backend.js";
import { generate } from "../eval/generate.js";
import { readPrompts } from "../eval/prompts.js";
import { loadModel } from "../models/load.js";
import { numberFlag, parseFlags, positiveInt, required, type Command } from "./command.js";
import { writeJsonLines } from "../atomic-write.js";

const help = `poet generate: completions for the prompts of a data file

Usage: poet generate --model DIR --data FILE --output FILE.jsonl [options]

Each output line is the input row plus "completion_input_ids" (the generated tokens, EOS included when
emitted) and, when the model has a tokenizer, "completion" (the decoded text, special tokens skipped).
Prompts: prompt_input_ids (used as given); a prompt string (rendered as a user turn with the chat template
when the tokenizer has one, else tokenized with its special tokens); a prompt message list; or chosen/rejected
message lists sharing their prompt turns. Decoding is batched with a KV cache and stops at EOS.

Options:
  --model DIR            Hugging Face model directory
  --data FILE            .jsonl, .json or .parquet rows
  --output FILE          where to write the JSON lines (atomically)
  --max-new-tokens N     default 64
  --temperature T        0 = greedy (default 1.0)
  --top-p P              nucleus sampling (default 1.0: off)
  --top-k K              keep the K most likely tokens (default 0: off)
  --seed S               sampling seed (default 42)
  --batch-size N         prompts decoded together (default 16)

Examples:
  poet generate --model examples/tiny-gpt2 --data examples/pairs.jsonl --output gen.jsonl --temperature 0 --max-new-tokens 20
  poet generate --model runs/dpo-poet --data prompts.jsonl --output gen.jsonl --top-p 0.9 --seed 1
`;

export const generateCommand: Command = {
  name: "generate",
  summary: "sample or greedily decode completions for prompts (KV cache, batched, stops at EOS)",
  help,
  async run(argv) {
    const f = parseFlags("generate", argv, {
      model: { type: "string" }, data: { type: "string" }, output: { type: "string" }, "max-new-tokens": { type: "string" },
      temperature: { type: "string" }, "top-p": { type: "string" }, "top-k": { type: "string" }, seed: { type: "string" },
      "batch-size": { type: "string" },
    });
    const modelDir = required("generate", "model", f.model), data = required("generate", "data", f.data);
    const output = required("generate", "output", f.output);
    const opt = {
      maxNewTokens: positiveInt("generate", "max-new-tokens", f["max-new-tokens"], 64),
      temperature: numberFlag("generate", "temperature", f.temperature, 1, (x) => x >= 0, "a number >= 0"),
      topP: numberFlag("generate", "top-p", f["top-p"], 1, (x) => x > 0 && x <= 1, "a number in (0, 1]"),
      topK: numberFlag("generate", "top-k", f["top-k"], 0, (x) => Number.isInteger(x) && x >= 0, "an integer >= 0"),
      seed: numberFlag("generate", "seed", f.seed, 42, Number.isInteger, "an integer"),
      batchSize: positiveInt("generate", "batch-size", f["batch-size"], 16),
    };
    const t0 = performance.now();
    const model = loadModel(modelDir, getBackend());
    const ps = await readPrompts(data, modelDir, model.vocabSize);
    const out = generate(model, ps.promptIds, { ...opt, eosIds: ps.eosIds });
    writeJsonLines(output, ps.rows.map(({ row }, i) => ({
      ...row, completion_input_ids: out[i],
      ...(ps.tokenizer ? { completion: ps.tokenizer.decode(out[i]!, { skipSpecialTokens: true }) } : {}),
    })));
    const tokens = out.reduce((a, c) => a + c.length, 0), s = (performance.now() - t0) / 1000;
    process.stderr.write(`poet generate: ${out.length} completions, ${tokens} tokens in ${s.toFixed(2)} s (${(tokens / s).toFixed(0)} tokens/s) -> ${output}\n`);
  },
};
