// poet analyze end to end: the reward-by-prefix margins at full length reproduce the PyTorch-written eval fixtures
// (DPO with a reference, SimPO-style reference-free), per-position cross-entropy adds up to the sequence log-probs,
// prefix quality is judged on decoded text (and skipped, with a note, for a model without a tokenizer).
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { analyzeCommand } from "../src/cli/analyze.js";
import { loadPairs } from "../src/data/load-pairs.js";
import { loadTokenizer } from "../src/data/tokenizer.js";
import { UserError } from "../src/errors.js";
import { prefixQuality } from "../src/eval/analyze.js";
import { lexiconScores } from "../src/eval/judges/lexicon.js";
import { eosIdsOf } from "../src/eval/prompts.js";
import type { GapAnalysis } from "../src/eval/types.js";
import { copyAuxiliaryFiles, initModel, loadModel, readModelConfig, saveModel } from "../src/models/load.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIX = join(ROOT, "test", "fixtures");
const GPT2 = join(FIX, "gpt2", "model"), REF = join(FIX, "train", "ref-gpt2"), PAIRS = join(FIX, "gpt2", "pairs.jsonl");
const TINY = join(ROOT, "examples", "tiny-gpt2"), TINY_PAIRS = join(ROOT, "examples", "pairs.jsonl");

interface EvalFixture { metrics: Record<string, number>; pairs: { policy_chosen_logps: number }[] }
const fixture = (name: string) => JSON.parse(readFileSync(join(FIX, "train", `${name}.json`), "utf8")) as EvalFixture;
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as GapAnalysis;
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** Runs f with stderr muted (stdout belongs to the test runner's protocol: never patch it). */
async function quiet(f: () => Promise<void>): Promise<void> {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await f();
  } finally {
    process.stderr.write = write;
  }
}

test("reward by prefix at full length is the DPO / SimPO eval margin PyTorch wrote; default output beside the model", async () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-analyze-"));
  const model = join(dir, "model");
  cpSync(GPT2, model, { recursive: true });
  await quiet(() => analyzeCommand.run(["--model", model, "--ref-model", REF, "--data", PAIRS, "--prefix-ks", "1,3,1000", "--max-position", "1000"]));
  const a = read(join(model, "analysis.json"));
  assert.deepEqual(a.reward_by_prefix.map((x) => x.k), [1, 3, 1000]);
  const dpo = fixture("eval-gpt2-dpo-none-ref").metrics;
  close(a.reward_by_prefix[2]!.margin, dpo["rewards/margins"]!, "dpo margin");
  assert.equal(a.reward_by_prefix[2]!.accuracy, dpo["rewards/accuracies"]);
  assert.ok(a.reward_by_prefix.every((x) => x.pairs === 6));
  assert.notEqual(a.reward_by_prefix[0]!.margin, a.reward_by_prefix[2]!.margin);

  // per-position CE weighted by how many chosen responses reach each position = -(sum of chosen log-probs)
  const { pairs } = await loadPairs(PAIRS, { modelDir: GPT2, vocabSize: 96 });
  const reach = (t: number) => pairs.filter((p) => p.chosenIds.length > t).length;
  const total = a.per_position_ce.reduce((s, x) => s + x.chosen * reach(x.position), 0);
  close(total, -fixture("eval-gpt2-dpo-none-ref").pairs.reduce((s, p) => s + p.policy_chosen_logps, 0), "sum of per-position CE");
  assert.equal(a.per_position_ce.length, Math.max(...pairs.map((p) => Math.max(p.chosenIds.length, p.rejectedIds.length))));

  // no tokenizer.json: the judge cannot read the text, so prefix quality is skipped and says so
  assert.deepEqual(a.prefix_quality, []);
  assert.equal(a.meta?.judge, null);
  assert.match(a.meta?.note ?? "", /no tokenizer\.json/);

  const out = join(dir, "poet.json");
  await quiet(() => analyzeCommand.run(["--model", GPT2, "--ref-model", REF, "--data", PAIRS, "--prefix-ks", "1000", "--truncation", "poet", "--output", out]));
  const poet = fixture("eval-gpt2-dpo-poet-ref").metrics;
  close(read(out).reward_by_prefix[0]!.margin, poet["rewards/margins"]!, "dpo margin under poet truncation");
  assert.equal(read(out).meta?.truncation, "poet");

  await quiet(() => analyzeCommand.run(["--model", GPT2, "--ref-model", REF, "--data", PAIRS, "--prefix-ks", "1000", "--reference-free", "--beta", "2", "--output", out]));
  const simpo = fixture("eval-gpt2-simpo-none").metrics;
  close(read(out).reward_by_prefix[0]!.margin, simpo["rewards/margins"]!, "simpo-style margin");
  assert.equal(read(out).reward_by_prefix[0]!.accuracy, simpo["rewards/accuracies"]);
});

test("prefix quality on tiny-gpt2: the judge scores the decoded text of the library's continuations", async () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-analyze-"));
  // a second random model with tiny-gpt2's tokenizer, as the reference that continues the prefixes (greedy: fast,
  // and a different model, so the score depends on k)
  const ref = join(dir, "ref");
  saveModel(initModel(readModelConfig(TINY).config, 3), ref);
  copyAuxiliaryFiles(TINY, ref);
  const out = join(dir, "run", "analysis.json");
  const ks = [0, 2, 8];
  await quiet(() => analyzeCommand.run(["--model", TINY, "--ref-model", ref, "--data", TINY_PAIRS, "--output", out, "--prefix-ks", ks.join(","),
    "--max-new-tokens", "24", "--max-prompts", "2", "--temperature", "0", "--max-position", "8"]));
  assert.ok(!existsSync(`${out}.tmp-${process.pid}`));
  const a = read(out);
  assert.equal(a.per_position_ce.length, 8);
  // tiny-gpt2 is untrained: about ln(50257) nats per token
  for (const x of a.per_position_ce) assert.ok(Math.abs(x.chosen - Math.log(50257)) < 1, `${x.chosen}`);
  assert.deepEqual(a.reward_by_prefix.map((x) => x.k), [2, 8]);
  assert.ok(a.reward_by_prefix.every((x) => x.margin !== 0 && x.pairs === 16));
  assert.deepEqual(a.meta && [a.meta.judge, a.meta.pairs, a.meta.temperature, a.meta.max_new_tokens], ["lexicon", 16, 0, 24]);

  // the same continuations, scored synchronously by the lexicon on decoded text
  const model = loadModel(TINY), tok = (await loadTokenizer(TINY))!;
  const { pairs } = await loadPairs(TINY_PAIRS, { modelDir: TINY, vocabSize: model.vocabSize });
  const score = (cs: number[][]) => lexiconScores(cs.map((c) => tok.decode(c, { skipSpecialTokens: true })));
  const want = prefixQuality(model, loadModel(ref), pairs.slice(0, 2).map((p) => p.promptIds), ks, score,
    { maxNewTokens: 24, seed: 42, eosIds: eosIdsOf(TINY, tok), temperature: 0 });
  assert.deepEqual(a.prefix_quality.map((x) => x.k), ks);
  for (const [i, x] of a.prefix_quality.entries()) {
    assert.equal(x.n, 2);
    close(x.score, want[i]!.score, `k=${x.k}`);
    assert.ok(x.score >= -1 && x.score <= 1);
  }
  assert.ok(a.prefix_quality.some((x) => x.score !== 0), "the judge found sentiment in some continuation");
});

test("poet analyze: user errors name the flag and what to do", async () => {
  const base = ["--model", TINY, "--ref-model", TINY, "--data", TINY_PAIRS, "--output", join(tmpdir(), "poet-never.json")];
  const rejects = (argv: string[], re: RegExp): Promise<void> =>
    assert.rejects(quiet(() => analyzeCommand.run(argv)), (e: unknown) => e instanceof UserError && re.test(e.message));
  await rejects([...base, "--prefix-ks", "2,x"], /--prefix-ks 2,x: expected comma-separated integers/);
  await rejects([...base, "--judge", "llm:m@http://127.0.0.1:9/v1"], /pairwise.*--judge none/);
  await rejects([...base, "--judge", "vader"], /unknown judge.*lexicon/);
  await rejects(["--model", TINY, "--data", TINY_PAIRS], /--ref-model is required/);
  await rejects(["--model", GPT2, "--ref-model", TINY, "--data", PAIRS], /50257.*same vocabulary|vocabulary/);
  await rejects([...base, "--truncation", "half"], /--truncation.*not a truncation mode/);
});
