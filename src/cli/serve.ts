// `poet serve`: an OpenAI-compatible chat-completions endpoint over a poet model.
import { basename } from "node:path";
import { getBackend } from "../engine/backend.js";
import { UserError } from "../errors.js";
import { loadTokenizer } from "../data/tokenizer.js";
import { eosIdsOf } from "../eval/prompts.js";
import { loadModel } from "../models/load.js";
import { createChatServer } from "../serve/server.js";
import { parseFlags, positiveInt, required, type Command } from "./command.js";

const help = `poet serve: an OpenAI-compatible chat-completions server over a model

Usage: poet serve --model DIR [--host 127.0.0.1] [--port 8000] [--name NAME] [--max-tokens-limit 1024]

Serves POST /v1/chat/completions (messages, max_tokens, temperature, top_p, seed) and GET /v1/models.
Messages are rendered with the model's chat template, or as "role: content" lines when it has none.
Requests run one at a time. Listens on loopback unless --host says otherwise. Stop it with Ctrl-C.

Examples:
  poet serve --model examples/tiny-gpt2 --port 8000
  curl -s localhost:8000/v1/chat/completions -d '{"messages":[{"role":"user","content":"Hi"}],"max_tokens":8}'
`;

export const serveCommand: Command = {
  name: "serve",
  summary: "OpenAI-compatible chat-completions server over a model (a local judge endpoint)",
  help,
  async run(argv) {
    const f = parseFlags("serve", argv, { model: { type: "string" }, host: { type: "string" }, port: { type: "string" }, name: { type: "string" }, "max-tokens-limit": { type: "string" } });
    const dir = required("serve", "model", f.model);
    const model = loadModel(dir, getBackend());
    const tokenizer = await loadTokenizer(dir);
    if (!tokenizer) throw new UserError(`${dir}: no tokenizer.json: poet serve needs a tokenizer to read and write text`);
    const port = f.port === undefined ? 8000 : Number(f.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`poet serve: --port ${f.port}: expected 0..65535`);
    const server = createChatServer({ model, tokenizer, modelName: f.name ?? basename(dir), eosIds: eosIdsOf(dir, tokenizer), maxTokensLimit: positiveInt("serve", "max-tokens-limit", f["max-tokens-limit"], 1024) });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e) => reject(new UserError(`poet serve: cannot listen on ${f.host ?? "127.0.0.1"}:${port}: ${(e as Error).message}`)));
      server.listen(port, f.host ?? "127.0.0.1", () => resolve());
    });
    const addr = server.address();
    process.stderr.write(`poet serve: ${dir} at http://${f.host ?? "127.0.0.1"}:${typeof addr === "object" && addr ? addr.port : port}/v1 (Ctrl-C stops)\n`);
    await new Promise<void>((resolve) => process.once("SIGINT", () => server.close(() => resolve())).once("SIGTERM", () => server.close(() => resolve())));
  },
};
