// `poet serve` as a real HTTP server in its own process: OpenAI-style chat completions (greedy output equal to
// poet generate's), the model list, and 400s for bad requests.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { startServer } from "./serve-process.js";
import { fileURLToPath } from "node:url";
import { generate } from "../src/eval/generate.js";
import { loadTokenizer } from "../src/data/tokenizer.js";
import { loadModel } from "../src/models/load.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MODEL = join(ROOT, "examples", "tiny-gpt2");

test("poet serve answers chat completions like OpenAI's API, greedy output = poet generate's", async () => {
  const { url, stop } = await startServer();
  try {
    const post = (body: unknown) => fetch(`${url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const r = await post({ model: "x", messages: [{ role: "user", content: "Tell me about the film." }], max_tokens: 6, temperature: 0 });
    assert.equal(r.status, 200);
    const j = (await r.json()) as { choices: { message: { role: string; content: string }; finish_reason: string }[]; usage: { completion_tokens: number } };
    assert.equal(j.choices[0]!.message.role, "assistant");
    assert.equal(j.usage.completion_tokens, 6);
    const tok = (await loadTokenizer(MODEL))!;
    const prompt = tok.encode("user: Tell me about the film.\nassistant:", { addSpecialTokens: true });
    const [ids] = generate(loadModel(MODEL), [prompt], { maxNewTokens: 6, temperature: 0, topP: 1, topK: 0, seed: 0, eosIds: [50256] });
    assert.equal(j.choices[0]!.message.content, tok.decode(ids!, { skipSpecialTokens: true }));
    const models = (await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] };
    assert.equal(models.data[0]!.id, "tiny-gpt2");
    const bad = await post({ messages: "hello" });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /messages/);
    assert.equal((await fetch(`${url}/nope`)).status, 404);
  } finally {
    stop();
  }
});
