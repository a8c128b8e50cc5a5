// readPrompts (what poet generate and poet winrate read): every prompt form becomes the token ids the chat template
// renders (with the generation prompt), pre-tokenized prompts are kept as given, and bad rows name their line.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadTokenizer } from "../src/data/tokenizer.js";
import { UserError } from "../src/errors.js";
import { readPrompts } from "../src/eval/prompts.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/data/", import.meta.url));

test("readPrompts: text, message-list and shared-turn prompts through the chat template; ids as given; errors by line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-prompts-"));
  try {
    const model = join(dir, "chatml-model");
    mkdirSync(model);
    copyFileSync(join(fixtures, "gpt2-tokenizer", "tokenizer.json"), join(model, "tokenizer.json"));
    copyFileSync(join(fixtures, "chatml", "tokenizer_config.json"), join(model, "tokenizer_config.json"));
    const tok = (await loadTokenizer(model))!;
    assert.ok(tok.chatTemplate);
    const sys = { role: "system", content: "Be brief." }, user = { role: "user", content: "Rate the film." };
    const rows = [
      { prompt: "Rate the film." },
      { prompt: [sys, user] },
      { chosen: [sys, user, { role: "assistant", content: "Great." }], rejected: [sys, user, { role: "assistant", content: "Bad." }] },
      { prompt_input_ids: [5, 6, 7] },
    ];
    const file = join(dir, "prompts.jsonl");
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const got = await readPrompts(file, model, 50257);
    const render = (m: { role: string; content: string }[]) => tok.encode(tok.applyChatTemplate(m, { addGenerationPrompt: true }), { addSpecialTokens: false });
    assert.deepEqual(got.promptIds[0], render([user]));
    assert.deepEqual(got.promptIds[1], render([sys, user]));
    assert.deepEqual(got.promptIds[2], render([sys, user]), "the shared turns of chosen and rejected are the prompt");
    assert.deepEqual(got.promptIds[3], [5, 6, 7]);
    assert.ok(tok.decode(got.promptIds[1]!).includes("Be brief.") && tok.decode(got.promptIds[1]!).trimEnd().endsWith("assistant"));

    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify({ prompt: "ok" })}\n${JSON.stringify({ prompt_input_ids: [1, 99999] })}\n`);
    await assert.rejects(readPrompts(bad, model, 50257), (e: Error) => e instanceof UserError && /bad\.jsonl:2.*99999.*vocabulary/.test(e.message));
    writeFileSync(bad, `${JSON.stringify({ prompt: "ok" })}\n${JSON.stringify({ text: "no prompt here" })}\n`);
    await assert.rejects(readPrompts(bad, model, 50257), (e: Error) => e instanceof UserError && /bad\.jsonl:2: no prompt/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
