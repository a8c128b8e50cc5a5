// Property tests of truncatePair / applyTruncation over many random pairs from a seeded PRNG (reproducible
// failures), and of parseTruncation's accepted and rejected spellings.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyTruncation, formatTruncation, keptTokens, parseTruncation, truncatePair, type TruncationSpec } from "../src/data/truncation.js";
import { UserError } from "../src/errors.js";
import type { EncodedPair } from "../src/data/types.js";

import { mulberry32 as prng } from "../src/engine/random.js";

function randomIds(random: () => number, min: number, max: number): number[] {
  const length = min + Math.floor(random() * (max - min + 1));
  return Array.from({ length }, () => Math.floor(random() * 50257));
}

/** Pairs with empty-to-long prompts and completions of 1..40 tokens (some equal lengths, some 1-token). */
function randomPairs(seed: number, count: number): EncodedPair[] {
  const random = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const chosenIds = randomIds(random, 1, 40);
    const rejectedIds = random() < 0.15 ? randomIds(random, chosenIds.length, chosenIds.length) : randomIds(random, 1, 40);
    return { promptIds: randomIds(random, 0, 30), chosenIds, rejectedIds, source: { file: "random.jsonl", line: i + 1 } };
  });
}

const SEED = 20240601;
const pairs = randomPairs(SEED, 2000);

describe('truncatePair "poet"', () => {
  it("makes both completions as long as the shorter one", () => {
    for (const pair of pairs) {
      const out = truncatePair(pair, "poet");
      const k = Math.min(pair.chosenIds.length, pair.rejectedIds.length);
      assert.equal(out.chosenIds.length, k, `line ${pair.source.line}`);
      assert.equal(out.rejectedIds.length, k, `line ${pair.source.line}`);
    }
  });

  it("keeps prefixes, so the shorter completion is whole (its EOS included)", () => {
    for (const pair of pairs) {
      const out = truncatePair(pair, "poet");
      assert.deepEqual(out.chosenIds, pair.chosenIds.slice(0, out.chosenIds.length));
      assert.deepEqual(out.rejectedIds, pair.rejectedIds.slice(0, out.rejectedIds.length));
      const shorter = pair.chosenIds.length <= pair.rejectedIds.length ? [pair.chosenIds, out.chosenIds] : [pair.rejectedIds, out.rejectedIds];
      assert.deepEqual(shorter[1], shorter[0]);
    }
  });

  it("leaves the prompt and source untouched, never empties a completion, never mutates", () => {
    for (const pair of pairs) {
      const before = structuredClone(pair);
      const out = truncatePair(pair, "poet");
      assert.deepEqual(out.promptIds, pair.promptIds);
      assert.deepEqual(out.source, pair.source);
      assert.ok(out.chosenIds.length > 0 && out.rejectedIds.length > 0);
      assert.deepEqual(pair, before);
    }
  });

  it("is idempotent", () => {
    for (const pair of pairs) {
      const once = truncatePair(pair, "poet");
      assert.deepEqual(truncatePair(once, "poet"), once);
    }
  });

  it("treats an empty completion as a bug", () => {
    const broken = { promptIds: [1], chosenIds: [], rejectedIds: [2], source: { file: "x.jsonl", line: 3 } };
    assert.throws(() => truncatePair(broken, "poet"), /empty completion in the pair from x\.jsonl:3/);
  });
});

describe('truncatePair "none"', () => {
  it("is the identity", () => {
    for (const pair of pairs.slice(0, 200)) assert.equal(truncatePair(pair, "none"), pair);
  });
});

const FRACTIONS = [0.01, 0.1, 0.25, 0.3, 1 / 3, 0.5, 0.7, 0.99, 1];
const fractionSpecs: TruncationSpec[] = FRACTIONS.flatMap((fraction) => [
  { mode: "poet-fraction", fraction },
  { mode: "response-fraction", fraction },
]);

describe("keptTokens", () => {
  it("is ceil(F n), at least 1, without float error deciding it", () => {
    assert.equal(keptTokens(0.3, 10), 3); // 0.3 * 10 = 3.0000000000000004 in float64
    assert.equal(keptTokens(0.5, 7), 4); // ceil(3.5)
    assert.equal(keptTokens(0.01, 7), 1); // ceil(0.07)
    assert.equal(keptTokens(1, 40), 40);
    assert.equal(keptTokens(0.7, 10), 7); // 7.000000000000001
    for (let n = 1; n <= 60; n++)
      for (let pct = 1; pct <= 100; pct++) assert.equal(keptTokens(pct / 100, n), Math.max(1, Math.ceil((pct * n) / 100)), `${pct}% of ${n}`);
  });
});

describe('applyTruncation "poet-fraction"', () => {
  it("cuts both completions to keptTokens(F, k), k = min(|chosen|, |rejected|)", () => {
    for (const fraction of FRACTIONS)
      for (const pair of pairs) {
        const out = applyTruncation(pair, { mode: "poet-fraction", fraction });
        const k = keptTokens(fraction, Math.min(pair.chosenIds.length, pair.rejectedIds.length));
        assert.equal(out.chosenIds.length, k, `F ${fraction}, line ${pair.source.line}`);
        assert.equal(out.rejectedIds.length, k, `F ${fraction}, line ${pair.source.line}`);
      }
  });

  it("with F = 1 is poet", () => {
    for (const pair of pairs) assert.deepEqual(applyTruncation(pair, { mode: "poet-fraction", fraction: 1 }), truncatePair(pair, "poet"));
  });
});

describe('applyTruncation "response-fraction"', () => {
  it("cuts each completion to keptTokens(F, its own length)", () => {
    for (const fraction of FRACTIONS)
      for (const pair of pairs) {
        const out = applyTruncation(pair, { mode: "response-fraction", fraction });
        assert.equal(out.chosenIds.length, keptTokens(fraction, pair.chosenIds.length), `F ${fraction}, line ${pair.source.line}`);
        assert.equal(out.rejectedIds.length, keptTokens(fraction, pair.rejectedIds.length), `F ${fraction}, line ${pair.source.line}`);
      }
  });

  it("with F = 1 is none", () => {
    for (const pair of pairs) assert.deepEqual(applyTruncation(pair, { mode: "response-fraction", fraction: 1 }), truncatePair(pair, "none"));
  });
});

describe("applyTruncation, every fraction mode", () => {
  it("keeps prefixes, leaves prompt and source untouched, never empties, never mutates", () => {
    for (const spec of fractionSpecs)
      for (const pair of pairs) {
        const before = structuredClone(pair);
        const out = applyTruncation(pair, spec);
        assert.deepEqual(out.chosenIds, pair.chosenIds.slice(0, out.chosenIds.length));
        assert.deepEqual(out.rejectedIds, pair.rejectedIds.slice(0, out.rejectedIds.length));
        assert.deepEqual(out.promptIds, pair.promptIds);
        assert.deepEqual(out.source, pair.source);
        assert.ok(out.chosenIds.length >= 1 && out.rejectedIds.length >= 1);
        assert.deepEqual(pair, before);
      }
  });

  it("keeps no more tokens for a smaller fraction (monotone in F), and no more than poet / none", () => {
    for (const mode of ["poet-fraction", "response-fraction"] as const)
      for (const pair of pairs.slice(0, 500)) {
        const ceiling = mode === "poet-fraction" ? truncatePair(pair, "poet") : pair;
        let last = { c: 0, r: 0 };
        for (const fraction of FRACTIONS) {
          const out = applyTruncation(pair, { mode, fraction });
          assert.ok(out.chosenIds.length >= last.c && out.rejectedIds.length >= last.r, `${mode} F ${fraction}, line ${pair.source.line}`);
          assert.ok(out.chosenIds.length <= ceiling.chosenIds.length && out.rejectedIds.length <= ceiling.rejectedIds.length);
          last = { c: out.chosenIds.length, r: out.rejectedIds.length };
        }
      }
  });

  it("treats an empty completion or a fraction outside (0, 1] as a bug", () => {
    const broken = { promptIds: [1], chosenIds: [], rejectedIds: [2], source: { file: "x.jsonl", line: 3 } };
    assert.throws(() => applyTruncation(broken, { mode: "response-fraction", fraction: 0.5 }), /empty completion in the pair from x\.jsonl:3/);
    const pair = pairs[0]!;
    for (const fraction of [0, -0.5, 1.5, NaN])
      assert.throws(() => applyTruncation(pair, { mode: "poet-fraction", fraction }), (e: unknown) => e instanceof Error && !(e instanceof UserError));
  });
});

describe("parseTruncation", () => {
  it("reads every form, and formatTruncation writes it back", () => {
    const table: [string, TruncationSpec][] = [
      ["none", { mode: "none" }],
      ["poet", { mode: "poet" }],
      ["poet:0.5", { mode: "poet-fraction", fraction: 0.5 }],
      ["poet:1", { mode: "poet-fraction", fraction: 1 }],
      ["response:0.25", { mode: "response-fraction", fraction: 0.25 }],
      ["response:.75", { mode: "response-fraction", fraction: 0.75 }],
      ["response:5e-1", { mode: "response-fraction", fraction: 0.5 }],
      [" poet ", { mode: "poet" }],
    ];
    for (const [text, spec] of table) {
      assert.deepEqual(parseTruncation(text), spec, text);
      assert.deepEqual(parseTruncation(formatTruncation(spec)), spec, text);
    }
    assert.equal(formatTruncation({ mode: "poet-fraction", fraction: 0.5 }), "poet:0.5");
  });

  it("rejects bad text with a UserError naming the key, the text and the accepted forms", () => {
    for (const text of ["", "POET", "poet:", "poet:0", "poet:1.5", "poet:-0.5", "poet:abc", "poet:0.5x", "poet:NaN", "poet:Infinity", "response", "prefix:0.5", "none:0.5", "poet:0x1", "toString:0.5", "__proto__:0.5"]) {
      assert.throws(
        () => parseTruncation(text, "--truncation"),
        (e: unknown) => e instanceof UserError && e.message.startsWith(`--truncation: ${JSON.stringify(text)}`) && e.message.includes("poet:F") && e.message.includes("response:F"),
        text,
      );
    }
  });
});
