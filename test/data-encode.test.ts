// Tests encodePairs/loadPairs: every row format encoded as TRL's DPOTrainer would, and every invalid row
// reported with its file:line (or skipped and counted).

import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import { parquetWriteBuffer } from "hyparquet-writer";
import { UserError } from "../src/errors.js";
import { encodePairs, MAX_REPORTED_ERRORS, type EncodeOptions } from "../src/data/encode.js";
import { loadPairs } from "../src/data/load-pairs.js";
import type { RawRow } from "../src/data/rows.js";
import { loadTokenizer, type PoetTokenizer } from "../src/data/tokenizer.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/data/", import.meta.url));
const gpt2Dir = join(fixtures, "gpt2-tokenizer");
const EOS = 50256;
const VOCAB = 50257;
const FILE = "pairs.jsonl";

let scratch = "";
let gpt2: PoetTokenizer;
let chatml: PoetTokenizer;
let chatmlDir = "";
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "poet-data-encode-"));
  chatmlDir = join(scratch, "chatml-model");
  await mkdir(chatmlDir);
  await copyFile(join(gpt2Dir, "tokenizer.json"), join(chatmlDir, "tokenizer.json"));
  await copyFile(join(fixtures, "chatml", "tokenizer_config.json"), join(chatmlDir, "tokenizer_config.json"));
  const loaded = await Promise.all([loadTokenizer(gpt2Dir), loadTokenizer(chatmlDir)]);
  gpt2 = loaded[0]!;
  chatml = loaded[1]!;
});

/** Rows as readRows gives them for a .jsonl file: line i + 1. */
function rows(...objects: Record<string, unknown>[]): RawRow[] {
  return objects.map((row, i) => ({ row, source: { file: FILE, line: i + 1 } }));
}

function encodeOne(row: Record<string, unknown>, options: Partial<EncodeOptions> = {}) {
  const result = encodePairs(rows(row), { tokenizer: gpt2, vocabSize: VOCAB, ...options });
  assert.equal(result.pairs.length, 1);
  return result.pairs[0]!;
}

/** Asserts encoding the single row fails with a UserError containing `pairs.jsonl:1: ` and `text`. */
function refuses(row: Record<string, unknown>, text: string | RegExp, options: Partial<EncodeOptions> = {}): void {
  assert.throws(() => encodePairs(rows(row), { tokenizer: gpt2, vocabSize: VOCAB, ...options }), (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${FILE}:1: `), `"${err.message}" does not start with ${FILE}:1`);
    if (typeof text === "string") assert.ok(err.message.includes(text), `"${err.message}" lacks "${text}"`);
    else assert.match(err.message, text);
    return true;
  });
}

const ids = (tokenizer: PoetTokenizer, text: string) => tokenizer.encode(text, { addSpecialTokens: false });

describe("pre-tokenized rows", () => {
  it("are used exactly as given, with no tokenizer needed", () => {
    const pair = encodeOne({ prompt_input_ids: [1, 2], chosen_input_ids: [3], rejected_input_ids: [4, 5, 6], prompt: "ignored" }, { tokenizer: null });
    assert.deepEqual(pair, { promptIds: [1, 2], chosenIds: [3], rejectedIds: [4, 5, 6], source: { file: FILE, line: 1 } });
  });

  it("accept bigint and typed-array ids (Parquet int64 lists) and an empty prompt", () => {
    const pair = encodeOne({ prompt_input_ids: [], chosen_input_ids: [7n, 8n], rejected_input_ids: new Int32Array([9]) }, { tokenizer: null });
    assert.deepEqual([pair.promptIds, pair.chosenIds, pair.rejectedIds], [[], [7, 8], [9]]);
  });

  it("refuse bad ids with the field and index", () => {
    const base = { prompt_input_ids: [1], chosen_input_ids: [2], rejected_input_ids: [3] };
    refuses({ ...base, chosen_input_ids: [50300] }, "token id 50300 in chosen_input_ids is outside the model's vocabulary (size 50257)");
    refuses({ ...base, rejected_input_ids: [1, 2.5] }, "rejected_input_ids[1] is 2.5: token ids must be integers");
    refuses({ ...base, prompt_input_ids: [-1] }, "prompt_input_ids[0] is -1: token ids must be >= 0");
    refuses({ ...base, chosen_input_ids: ["5"] }, 'chosen_input_ids[0] is "5" (a string): token ids must be integers');
    refuses({ ...base, chosen_input_ids: "1 2 3" }, "chosen_input_ids must be a list of token ids (integers), got a string");
    refuses({ ...base, rejected_input_ids: [] }, "rejected_input_ids is empty: each completion needs at least one token");
    refuses({ chosen_input_ids: [1], rejected_input_ids: [2] }, "missing prompt_input_ids: pre-tokenized rows need prompt_input_ids, chosen_input_ids and rejected_input_ids");
  });
});

describe("text rows", () => {
  it("tokenize without special tokens and end each completion with EOS", () => {
    const pair = encodeOne({ prompt: "The quick brown", chosen: " fox", rejected: " dog" });
    assert.deepEqual(pair.promptIds, [464, 2068, 7586]);
    assert.deepEqual(pair.chosenIds, [21831, EOS]);
    assert.deepEqual(pair.rejectedIds, [3290, EOS]);
  });

  it("allow an empty prompt", () => {
    const pair = encodeOne({ prompt: "", chosen: "Hello world", rejected: "Hi" });
    assert.deepEqual([pair.promptIds, pair.chosenIds], [[], [15496, 995, EOS]]);
  });

  it("split off an implicit prompt like TRL's extract_prompt (the space stays with the completions)", () => {
    const pair = encodeOne({ chosen: "\n\nHuman: Sky?\n\nAssistant: It is blue.", rejected: "\n\nHuman: Sky?\n\nAssistant: It is green." });
    assert.equal(gpt2.decode(pair.promptIds), "\n\nHuman: Sky?\n\nAssistant: It is");
    assert.equal(gpt2.decode(pair.chosenIds), " blue.<|endoftext|>");
    assert.equal(gpt2.decode(pair.rejectedIds), " green.<|endoftext|>");
  });

  it("keep one element in each completion when one is a prefix of the other (TRL's loop)", () => {
    const pair = encodeOne({ chosen: "Yes.", rejected: "Yes. Really." });
    assert.equal(gpt2.decode(pair.promptIds), "Yes");
    assert.equal(gpt2.decode(pair.chosenIds), ".<|endoftext|>");
    assert.equal(gpt2.decode(pair.rejectedIds), ". Really.<|endoftext|>");
  });

  it("need a tokenizer", () => {
    refuses({ prompt: "a", chosen: "b", rejected: "c" }, "text rows need a tokenizer, but /models/x has no tokenizer.json: give pre-tokenized rows or a model dir with a tokenizer", {
      tokenizer: null,
      modelDir: "/models/x",
    });
  });

  it("refuse wrong types and empty completions", () => {
    refuses({ prompt: "a", chosen: "", rejected: "c" }, "chosen is empty: each completion needs some text");
    refuses({ prompt: "a", chosen: "b", rejected: 3 }, "rejected must be a string like chosen, got a number");
    refuses({ prompt: 5, chosen: "b", rejected: "c" }, "prompt must be a string, got a number");
    refuses({ prompt: [{ role: "user", content: "a" }], chosen: "b", rejected: "c" }, "prompt is a list but chosen and rejected are strings");
    refuses({ chosen: 7, rejected: "c" }, 'chosen must be a string or a list of {"role", "content"} messages, got a number');
  });

  it("refuse rows that are in no known format, saying what each format needs", () => {
    refuses({ question: "q", answer: "a" }, /missing chosen and rejected \(it has question, answer\): .*text fields.*conversational fields.*pre-tokenized fields \(prompt_input_ids, chosen_input_ids and rejected_input_ids/);
    refuses({ prompt: "q", chosen: "a", rejected: null }, "missing rejected");
  });

  it("refuse tokenizer ids outside the model's vocabulary, checking EOS first", async () => {
    refuses({ prompt: "a", chosen: "b", rejected: "c" }, /the EOS token id 50256 of .*gpt2-tokenizer is outside the model's vocabulary \(size 20000\)/, {
      vocabSize: 20000,
    });
    // "." (id 13) as EOS, so that only the text's ids are out of range.
    const dir = join(scratch, "dot-eos");
    await mkdir(dir);
    await copyFile(join(gpt2Dir, "tokenizer.json"), join(dir, "tokenizer.json"));
    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ eos_token: "." }));
    const dotEos = (await loadTokenizer(dir))!;
    assert.deepEqual(encodeOne({ prompt: "a", chosen: "b", rejected: "c" }, { tokenizer: dotEos }).chosenIds, [65, 13]);
    refuses({ prompt: "a", chosen: "Hello", rejected: "c" }, /token id 15496 in the tokenized chosen is outside the model's vocabulary \(size 15000\): is the tokenizer in .*dot-eos the model's\?/, {
      tokenizer: dotEos,
      vocabSize: 15000,
    });
  });

  it("need an EOS token", async () => {
    const dir = join(scratch, "no-eos");
    await mkdir(dir);
    await copyFile(join(gpt2Dir, "tokenizer.json"), join(dir, "tokenizer.json"));
    const noEos = (await loadTokenizer(dir))!;
    refuses({ prompt: "a", chosen: "b", rejected: "c" }, /each completion must end with the EOS token, but the tokenizer in .*no-eos has none: set eos_token/, { tokenizer: noEos });
  });
});

describe("conversational rows", () => {
  const question = { role: "user", content: "What color is the sky?" };
  const blue = { role: "assistant", content: "It is blue." };
  const green = { role: "assistant", content: "It is green." };
  const promptText = "<|endoftext|><|im_start|>user\nWhat color is the sky?<|im_end|>\n<|im_start|>assistant\n";

  function assertSkyPair(row: Record<string, unknown>): void {
    const pair = encodeOne(row, { tokenizer: chatml });
    assert.deepEqual(pair.promptIds, ids(chatml, promptText));
    assert.deepEqual(pair.chosenIds, [...ids(chatml, "It is blue.<|im_end|>\n"), EOS]);
    assert.deepEqual(pair.rejectedIds, [...ids(chatml, "It is green.<|im_end|>\n"), EOS]);
    assert.equal(pair.promptIds[0], EOS); // the template's {{ bos_token }}
  }

  it("with a separate prompt: prompt gets the generation prompt, completions are cut after it", () => {
    assertSkyPair({ prompt: [question], chosen: [blue], rejected: [green] });
  });

  it("sharing the prompt turns as a prefix (UltraFeedback-binarized, whose prompt column is a string)", () => {
    assertSkyPair({ prompt: "What color is the sky?", chosen: [question, blue], rejected: [question, green], score_chosen: 9 });
    assertSkyPair({ chosen: [question, blue], rejected: [question, green] });
  });

  it("refuse a prompt string next to completions that share no prompt turns (it would be dropped)", () => {
    refuses({ prompt: "What color is the sky?", chosen: [blue], rejected: [green] }, "prompt is a string, but chosen and rejected do not start with the same prompt turns", { tokenizer: chatml });
  });

  it("pass messages' extra fields to the template, int64 (bigint) ones as numbers", () => {
    const pair = encodeOne({ prompt: [{ ...question, turn: 1n }], chosen: [blue], rejected: [green] }, { tokenizer: chatml });
    assert.deepEqual(pair.promptIds, ids(chatml, promptText));
  });

  it("extract the longest common prefix of several turns", () => {
    const system = { role: "system", content: "Be brief." };
    const pair = encodeOne({ chosen: [system, question, blue], rejected: [system, question, green] }, { tokenizer: chatml });
    assert.equal(chatml.decode(pair.promptIds), `<|endoftext|><|im_start|>system\nBe brief.<|im_end|>\n${promptText.slice("<|endoftext|>".length)}`);
  });

  it("continue a prompt that ends with an assistant message (prefill)", () => {
    const pair = encodeOne({ prompt: [question, { role: "assistant", content: "It is" }], chosen: [{ role: "assistant", content: " blue." }], rejected: [green] }, { tokenizer: chatml });
    assert.equal(chatml.decode(pair.promptIds), `${promptText}It is`);
  });

  it("need a chat template", () => {
    refuses({ prompt: [question], chosen: [blue], rejected: [green] }, /conversational rows need a chat template, but .*gpt2-tokenizer has none: add "chat_template"/);
  });

  it("refuse malformed messages", () => {
    refuses({ prompt: [question], chosen: [{ role: "assistant" }], rejected: [green] }, "chosen[0].content must be a string, got nothing", { tokenizer: chatml });
    refuses({ prompt: [question], chosen: ["hi"], rejected: [green] }, 'chosen[0] must be a {"role", "content"} message, got a string', { tokenizer: chatml });
    refuses({ prompt: [question], chosen: [blue], rejected: "It is green." }, "rejected must be a list of messages like chosen, got a string", { tokenizer: chatml });
    refuses({ prompt: [question], chosen: [], rejected: [green] }, "chosen is an empty message list", { tokenizer: chatml });
    refuses({ prompt: 3, chosen: [blue], rejected: [green] }, "prompt must be a list of messages like chosen (or left out), got a number", { tokenizer: chatml });
  });

  it("refuse a prompt ending in a system turn, and template errors, with the row", () => {
    refuses({ prompt: [{ role: "system", content: "x" }], chosen: [blue], rejected: [green] }, `the prompt's last message has role "system"`, { tokenizer: chatml });
    refuses({ prompt: [question], chosen: [{ role: "robot", content: "beep" }], rejected: [green] }, "Unknown role: robot", { tokenizer: chatml });
  });

  it("refuse a template that does not render the prompt as a prefix of prompt + completion", async () => {
    // A template that only adds a generation prompt's text when asked, and renders it differently otherwise.
    const dir = join(scratch, "odd-template");
    await mkdir(dir);
    await copyFile(join(gpt2Dir, "tokenizer.json"), join(dir, "tokenizer.json"));
    const template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant><think>{% endif %}";
    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ eos_token: "<|endoftext|>", chat_template: template }));
    const odd = (await loadTokenizer(dir))!;
    refuses({ prompt: [question], chosen: [blue], rejected: [green] }, /renders the prompt alone differently from the start of prompt \+ chosen \(from character \d+: "<think>" vs "It is blue\."\)/, { tokenizer: odd });
  });
});

describe("skipInvalid", () => {
  it("skips and counts invalid rows, keeping the first messages", () => {
    const good = { prompt_input_ids: [1], chosen_input_ids: [2], rejected_input_ids: [3] };
    const bad = { prompt_input_ids: [1], chosen_input_ids: [VOCAB], rejected_input_ids: [3] };
    const input = rows(good, bad, ...Array.from({ length: 12 }, () => bad), good);
    const result = encodePairs(input, { tokenizer: null, vocabSize: VOCAB, skipInvalid: true });
    assert.equal(result.pairs.length, 2);
    assert.deepEqual(result.pairs.map((p) => p.source.line), [1, 15]);
    assert.equal(result.skipped, 13);
    assert.equal(result.errors.length, MAX_REPORTED_ERRORS);
    assert.match(result.errors[0]!, /^pairs\.jsonl:2: token id 50257 in chosen_input_ids/);
  });

  it("still throws problems that hit every row, and when no row is valid", () => {
    assert.throws(
      () => encodePairs(rows({ prompt: "a", chosen: "b", rejected: "c" }), { tokenizer: null, vocabSize: VOCAB, skipInvalid: true }),
      /pairs\.jsonl:1: text rows need a tokenizer/,
    );
    assert.throws(
      () => encodePairs(rows({ chosen: "" , rejected: "x" }, { nothing: 1 }), { tokenizer: gpt2, vocabSize: VOCAB, skipInvalid: true }),
      /pairs\.jsonl: all 2 rows are invalid; the first: pairs\.jsonl:1: chosen is empty/,
    );
  });
});

describe("loadPairs", () => {
  it("reads, tokenizes and validates a .jsonl file end to end", async () => {
    const file = join(scratch, "text.jsonl");
    await writeFile(file, '{"prompt": "The quick brown", "chosen": " fox", "rejected": " dog"}\n\n{"prompt": "x", "chosen": 5, "rejected": "y"}\n');
    const result = await loadPairs(file, { modelDir: gpt2Dir, vocabSize: VOCAB, skipInvalid: true });
    assert.deepEqual(result.pairs[0]?.chosenIds, [21831, EOS]);
    assert.equal(result.skipped, 1);
    assert.deepEqual(result.errors, [`${file}:3: chosen must be a string or a list of {"role", "content"} messages, got a number`]);
    await assert.rejects(loadPairs(file, { modelDir: gpt2Dir, vocabSize: VOCAB }), (err: unknown) => err instanceof UserError && err.message.startsWith(`${file}:3: `));
  });

  it("reads conversational Parquet (list<struct>) and pre-tokenized Parquet (list<int64>)", async () => {
    const messageList = (name: string) => [
      { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
      { name: "role", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      { name: "content", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    ];
    const chatFile = join(scratch, "chat.parquet");
    const q = { role: "user", content: "What color is the sky?" };
    await writeFile(chatFile, new Uint8Array(parquetWriteBuffer({
      schema: [{ name: "root", num_children: 3 }, { name: "prompt", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" }, ...messageList("chosen"), ...messageList("rejected")] as never,
      columnData: [
        { name: "prompt", data: ["What color is the sky?"] },
        { name: "chosen", data: [[q, { role: "assistant", content: "It is blue." }]] },
        { name: "rejected", data: [[q, { role: "assistant", content: "It is green." }]] },
      ],
    })));
    const chat = await loadPairs(chatFile, { modelDir: chatmlDir, vocabSize: VOCAB });
    assert.equal(chatml.decode(chat.pairs[0]!.chosenIds), "It is blue.<|im_end|>\n<|endoftext|>");
    assert.deepEqual(chat.pairs[0]?.source, { file: chatFile, line: 1 });

    const idList = (name: string) => [
      { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      { name: "element", type: "INT64", repetition_type: "OPTIONAL" },
    ];
    const idsFile = join(scratch, "ids.parquet");
    await writeFile(idsFile, new Uint8Array(parquetWriteBuffer({
      schema: [{ name: "root", num_children: 3 }, ...idList("prompt_input_ids"), ...idList("chosen_input_ids"), ...idList("rejected_input_ids")] as never,
      columnData: [
        { name: "prompt_input_ids", data: [[1n, 2n], [3n]] },
        { name: "chosen_input_ids", data: [[4n], [5n, 6n]] },
        { name: "rejected_input_ids", data: [[7n], [50300n]] },
      ],
    })));
    const noTokenizer = join(scratch, "empty-model");
    await mkdir(noTokenizer);
    await assert.rejects(loadPairs(idsFile, { modelDir: noTokenizer, vocabSize: VOCAB }), {
      message: `${idsFile}:2 (row 2): token id 50300 in rejected_input_ids is outside the model's vocabulary (size 50257): were these ids made with this model's tokenizer?`,
    });
    const tokens = await loadPairs(idsFile, { modelDir: noTokenizer, vocabSize: 60000 });
    assert.deepEqual(tokens.pairs.map((p) => [p.promptIds, p.chosenIds, p.rejectedIds]), [[[1, 2], [4], [7]], [[3], [5, 6], [50300]]]);
  });

  it("reads a .json file of text rows", async () => {
    const file = join(scratch, "text.json");
    await writeFile(file, JSON.stringify({ data: [{ prompt: "Hello", chosen: " world", rejected: "!" }] }));
    const result = await loadPairs(file, { modelDir: gpt2Dir, vocabSize: VOCAB });
    assert.deepEqual(result.pairs[0]?.chosenIds, [995, EOS]);
  });
});
