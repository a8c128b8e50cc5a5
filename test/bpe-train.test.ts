// The byte-level BPE trainer: merges on a tiny corpus are the hand-computed ones (with the documented tie-break),
// the vocabulary stops at the requested size, and the written tokenizer.json loads in @huggingface/tokenizers,
// encodes to the trainer's own ids and decodes arbitrary Unicode text back exactly.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { bpeEncode, byteAlphabet, byteLevelWords, ENDOFTEXT, saveTokenizer, trainBpe } from "../src/data/bpe-train.js";
import { loadTokenizer } from "../src/data/tokenizer.js";
import { mulberry32 } from "../src/engine/random.js";

test("byte alphabet: GPT-2's bytes_to_unicode (space -> Ġ, newline -> Ċ, printable ASCII kept)", () => {
  const a = byteAlphabet();
  assert.equal(new Set(a).size, 256);
  assert.equal(a[0x20], "Ġ");
  assert.equal(a[0x0a], "Ċ");
  assert.equal(a[0x41], "A");
  assert.deepEqual(byteLevelWords("Hi there, it's 42!\n"), ["Hi", "Ġthere", ",", "Ġit", "'s", "Ġ42", "!", "Ċ"]);
});

test("merges on a tiny corpus are the hand-computed ones", () => {
  // words: "abab", "Ġabab", "Ġab" (once each). Pair counts: (a,b) 5, (b,a) 2, (Ġ,a) 2 -> merge a+b.
  // Then (ab,ab) 2 and (Ġ,ab) 2 tie: "ab" sorts before "Ġ" -> ab+ab. Then (Ġ,abab) 1 and (Ġ,ab) 1 tie on the
  // left token: "ab" sorts before "abab" -> Ġ+ab, and last Ġ+abab.
  const m = trainBpe(["abab abab ab"], { vocabSize: 1000, minFrequency: 1 });
  assert.deepEqual(m.merges, [["a", "b"], ["ab", "ab"], ["Ġ", "ab"], ["Ġ", "abab"]]);
  assert.deepEqual(m.vocab.slice(257), ["ab", "abab", "Ġab", "Ġabab"]);
  assert.equal(m.vocab[0], ENDOFTEXT);
  // the default minimum frequency 2 stops after the second merge
  assert.deepEqual(trainBpe(["abab abab ab"], { vocabSize: 1000 }).merges, [["a", "b"], ["ab", "ab"]]);
  // counts are per occurrence: "the the the cat" -> (t,h) 3 and (h,e) 3 tie, (Ġ,t) 2: "h" sorts before "t"
  assert.deepEqual(trainBpe(["the the the cat"], { vocabSize: 258 }).merges, [["h", "e"]]);
  // without the tie: "that the that" -> (t,h) 3, (h,a) 2, (a,t) 2, (h,e) 1 -> t+h
  assert.deepEqual(trainBpe(["that the that"], { vocabSize: 258 }).merges, [["t", "h"]]);
});

test("the vocabulary stops at the requested size", () => {
  const text = "the quick brown fox jumps over the lazy dog; the dog sleeps. ".repeat(20);
  const m = trainBpe([text], { vocabSize: 270 });
  assert.equal(m.vocab.length, 270);
  assert.equal(m.merges.length, 270 - 257);
  assert.throws(() => trainBpe([text], { vocabSize: 100 }), /at least 257/);
});

/** Text from many scripts and byte classes (no lone surrogates: they have no UTF-8 form). */
function randomText(u: () => number, n: number): string {
  const ranges: [number, number][] = [
    [0x20, 0x7e], [0x20, 0x7e], [0x61, 0x7a], [0x09, 0x0d], [0x00, 0x1f], [0xa0, 0xff], [0x391, 0x3c9],
    [0x410, 0x44f], [0x4e00, 0x4e80], [0x1f600, 0x1f64f], [0x300, 0x36f], [0x7f, 0x9f], [0xfff0, 0xfffd],
  ];
  let s = "";
  for (let i = 0; i < n; i++) {
    const [lo, hi] = ranges[Math.floor(u() * ranges.length)]!;
    s += String.fromCodePoint(lo + Math.floor(u() * (hi - lo + 1)));
    if (u() < 0.2) s += " ";
  }
  return s;
}

test("tokenizer.json loads in @huggingface/tokenizers: same ids as the trainer's encoder, exact round trip", async () => {
  const u = mulberry32(7);
  const words = ["the", "movie", "was", "great", "terrible", "food", "I", "loved", "it", "n't", "don't", "café", "naïve", "日本語"];
  const corpus = Array.from({ length: 300 }, () =>
    Array.from({ length: 12 }, () => words[Math.floor(u() * words.length)]).join(u() < 0.5 ? " " : ", ") + ".\n");
  const m = trainBpe(corpus, { vocabSize: 300 });
  assert.equal(m.vocab.length, 300);
  const dir = mkdtempSync(join(tmpdir(), "poet-bpe-"));
  saveTokenizer(m, dir);
  const cfg = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  assert.equal(cfg.bos_token, ENDOFTEXT);
  assert.equal(cfg.eos_token, ENDOFTEXT);
  assert.equal(cfg.pad_token, ENDOFTEXT);
  assert.equal(cfg.chat_template, undefined);
  const tok = (await loadTokenizer(dir))!;
  assert.equal(tok.vocabSize, 300);
  assert.equal(tok.bosTokenId, 0);
  assert.equal(tok.eosTokenId, 0);
  assert.equal(tok.padTokenId, 0);
  assert.deepEqual(tok.encode(ENDOFTEXT, { addSpecialTokens: false }), [0], "the special token is one id");

  const texts = [
    ...corpus.slice(0, 20), "The movie wasn't great -- it's  \"ok\"\n\n\tI'd say 3/10 ... ", " leading and trailing  ",
    ...Array.from({ length: 40 }, () => randomText(u, 1 + Math.floor(u() * 60))),
  ];
  let merged = 0;
  for (const t of texts) {
    const ids = tok.encode(t, { addSpecialTokens: false });
    assert.deepEqual(ids, bpeEncode(m, t), JSON.stringify(t));
    assert.equal(tok.decode(ids), t, "round trip");
    if (ids.some((id) => id > 256)) merged++;
  }
  assert.ok(merged >= 20, "learned merges are used");
});
