// Tests loadTokenizer against the real GPT-2 tokenizer, and chat templates rendered like transformers.

import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import { UserError } from "../src/errors.js";
import { ChatTemplateError } from "../src/data/chat-template.js";
import { loadTokenizer, type PoetTokenizer } from "../src/data/tokenizer.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/data/", import.meta.url));
const gpt2Dir = join(fixtures, "gpt2-tokenizer");
const EOS = 50256;

let scratch = "";
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "poet-data-tokenizer-"));
});

/** A model dir holding GPT-2's tokenizer.json plus the given extra files (name -> JSON value or text). */
async function modelDir(name: string, files: Record<string, unknown>): Promise<string> {
  const dir = join(scratch, name);
  await mkdir(dir);
  await copyFile(join(gpt2Dir, "tokenizer.json"), join(dir, "tokenizer.json"));
  for (const [file, value] of Object.entries(files)) {
    await writeFile(join(dir, file), typeof value === "string" ? value : JSON.stringify(value));
  }
  return dir;
}

async function load(dir: string): Promise<PoetTokenizer> {
  const tokenizer = await loadTokenizer(dir);
  assert.ok(tokenizer !== null);
  return tokenizer;
}

async function chatmlConfig(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(fixtures, "chatml", "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
}

describe("GPT-2 tokenizer", () => {
  it("encodes to GPT-2's known ids", async () => {
    const tokenizer = await load(gpt2Dir);
    assert.deepEqual(tokenizer.encode("Hello world", { addSpecialTokens: false }), [15496, 995]);
    assert.deepEqual(tokenizer.encode(" Hello world", { addSpecialTokens: false }), [18435, 995]);
    assert.deepEqual(tokenizer.encode("The quick brown fox", { addSpecialTokens: false }), [464, 2068, 7586, 21831]);
    assert.deepEqual(tokenizer.encode("a<|endoftext|>b", { addSpecialTokens: false }), [64, EOS, 65]);
    assert.deepEqual(tokenizer.encode("", { addSpecialTokens: false }), []);
  });

  it("decodes, optionally without special tokens, and round-trips non-ASCII text", async () => {
    const tokenizer = await load(gpt2Dir);
    assert.equal(tokenizer.decode([15496, 995, EOS]), "Hello world<|endoftext|>");
    assert.equal(tokenizer.decode([15496, 995, EOS], { skipSpecialTokens: true }), "Hello world");
    assert.equal(tokenizer.decode([]), "");
    const text = "héllo 你好 🙂";
    assert.equal(tokenizer.decode(tokenizer.encode(text, { addSpecialTokens: false })), text);
  });

  it("resolves special tokens and the vocabulary size", async () => {
    const tokenizer = await load(gpt2Dir);
    assert.equal(tokenizer.bosTokenId, EOS);
    assert.equal(tokenizer.eosTokenId, EOS);
    assert.equal(tokenizer.padTokenId, null);
    assert.equal(tokenizer.vocabSize, 50257);
    assert.equal(tokenizer.chatTemplate, null);
    assert.equal(tokenizer.dir, gpt2Dir);
  });

  it("returns null for a dir without tokenizer.json", async () => {
    const dir = join(scratch, "no-tokenizer");
    await mkdir(dir);
    assert.equal(await loadTokenizer(dir), null);
  });
});

describe("special tokens from model configs", () => {
  it("falls back to generation_config.json, then config.json (first of a list)", async () => {
    const fromGeneration = await load(
      await modelDir("gen-config", { "tokenizer_config.json": {}, "generation_config.json": { eos_token_id: [198, 50256] }, "config.json": { eos_token_id: 13 } }),
    );
    assert.equal(fromGeneration.eosTokenId, 198);
    const fromConfig = await load(await modelDir("config-only", { "config.json": { eos_token_id: 13, bos_token_id: 0, pad_token_id: 50256 } }));
    assert.deepEqual([fromConfig.eosTokenId, fromConfig.bosTokenId, fromConfig.padTokenId], [13, 0, 50256]);
  });

  it("prefers tokenizer_config.json over config.json", async () => {
    const tokenizer = await load(await modelDir("both", { "tokenizer_config.json": { eos_token: "<|endoftext|>" }, "config.json": { eos_token_id: 13 } }));
    assert.equal(tokenizer.eosTokenId, EOS);
  });

  it("refuses a special token that is not in the vocabulary, naming the file", async () => {
    const dir = await modelDir("bad-eos", { "tokenizer_config.json": { eos_token: "<|im_end|>" } });
    await assert.rejects(loadTokenizer(dir), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /tokenizer_config\.json: eos_token "<\|im_end\|>" is not a token of tokenizer\.json/);
      return true;
    });
  });

  it("refuses invalid JSON in tokenizer_config.json", async () => {
    const dir = await modelDir("bad-json", { "tokenizer_config.json": "{ nope" });
    await assert.rejects(loadTokenizer(dir), /tokenizer_config\.json: invalid JSON/);
  });
});

describe("chat templates", () => {
  const conversation = [
    { role: "user", content: "What color is the sky?" },
    { role: "assistant", content: "It is blue." },
  ];

  it("renders with bos_token, messages and add_generation_prompt", async () => {
    const tokenizer = await load(await modelDir("chatml", { "tokenizer_config.json": await chatmlConfig() }));
    assert.equal(tokenizer.eosTokenId, EOS); // given as an {content} object
    assert.equal(
      tokenizer.applyChatTemplate(conversation.slice(0, 1), { addGenerationPrompt: true }),
      "<|endoftext|><|im_start|>user\nWhat color is the sky?<|im_end|>\n<|im_start|>assistant\n",
    );
    assert.equal(
      tokenizer.applyChatTemplate(conversation),
      "<|endoftext|><|im_start|>user\nWhat color is the sky?<|im_end|>\n<|im_start|>assistant\nIt is blue.<|im_end|>\n",
    );
  });

  it("continues a final message like transformers' continue_final_message", async () => {
    const tokenizer = await load(await modelDir("chatml-continue", { "tokenizer_config.json": await chatmlConfig() }));
    const prefilled = [conversation[0]!, { role: "assistant", content: "It is " }];
    assert.equal(
      tokenizer.applyChatTemplate(prefilled, { continueFinalMessage: true }),
      "<|endoftext|><|im_start|>user\nWhat color is the sky?<|im_end|>\n<|im_start|>assistant\nIt is ",
    );
  });

  it("turns raise_exception into a ChatTemplateError", async () => {
    const tokenizer = await load(await modelDir("chatml-raise", { "tokenizer_config.json": await chatmlConfig() }));
    assert.throws(() => tokenizer.applyChatTemplate([{ role: "robot", content: "beep" }]), (err: unknown) => {
      assert.ok(err instanceof ChatTemplateError);
      assert.match(err.message, /Unknown role: robot/);
      return true;
    });
  });

  it('picks the "default" template from a list, and refuses a list without one', async () => {
    const list = [
      { name: "tool_use", template: "TOOLS" },
      { name: "default", template: "{% for m in messages %}[{{ m.content }}]{% endfor %}" },
    ];
    const tokenizer = await load(await modelDir("list", { "tokenizer_config.json": { chat_template: list } }));
    assert.equal(tokenizer.applyChatTemplate([{ role: "user", content: "x" }]), "[x]");
    const dir = await modelDir("list-no-default", { "tokenizer_config.json": { chat_template: list.slice(0, 1) } });
    await assert.rejects(loadTokenizer(dir), /chat_template lists templates "tool_use" but none named "default"/);
  });

  it("lets chat_template.jinja override tokenizer_config.json", async () => {
    const dir = await modelDir("jinja-file", {
      "tokenizer_config.json": { chat_template: "CONFIG" },
      "chat_template.jinja": "FILE{{ messages[0].content }}\n",
    });
    const tokenizer = await load(dir);
    // Jinja drops one trailing newline of a template, as in transformers.
    assert.equal(tokenizer.applyChatTemplate([{ role: "user", content: "x" }]), "FILEx");
  });

  it("says what to do when there is no template, or it does not parse", async () => {
    const none = await load(gpt2Dir);
    assert.throws(() => none.applyChatTemplate(conversation), /has no chat template: add "chat_template" to tokenizer_config\.json/);
    const broken = await load(await modelDir("broken", { "tokenizer_config.json": { chat_template: "{% for %}" } }));
    assert.throws(() => broken.applyChatTemplate(conversation), (err: unknown) => {
      assert.ok(err instanceof UserError && !(err instanceof ChatTemplateError));
      assert.match(err.message, /tokenizer_config\.json: cannot parse the chat template/);
      return true;
    });
  });
});
