// Property tests of truncatePair over many random pairs from a seeded PRNG (reproducible failures).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { truncatePair } from "../src/data/truncation.js";
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
