// `poet demo` end to end at a toy size on the shipped base model: pairs labelled by the lexicon, four methods
// trained, win rates against the base model, results.json in the format, a report. The statistics and
// each stage have their own tests; this one checks that the stages fit together and the outputs are coherent.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_BASE_MODEL, DEMO_DEFAULTS, METHODS, runDemo } from "../src/demo/demo.js";

test("poet demo at toy size: pairs, four methods, win rates, results.json, report", async () => {
  assert.ok(existsSync(join(DEFAULT_BASE_MODEL, "model.safetensors")), `the shipped base model is missing: ${DEFAULT_BASE_MODEL}`);
  const dir = mkdtempSync(join(tmpdir(), "poet-demo-"));
  try {
    const r = await runDemo({
      ...DEMO_DEFAULTS, outputDir: dir, seeds: [1], trainPrompts: 48, evalPrompts: 24, samplesPerPrompt: 2, maxNewTokens: 12,
      epochs: 1, batchSize: 8,
    }, () => {});
    const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as typeof r;
    assert.deepEqual(results.runs.map((x) => x.name), Object.keys(METHODS));
    for (const run of results.runs) {
      for (const k of ["win_rate", "lc_win_rate", "mean_reward", "mean_length"] as const) assert.equal(typeof run[k], "number", `${run.name}.${k}`);
      assert.ok(run.win_rate >= 0 && run.win_rate <= 1 && run.ci_low <= run.win_rate && run.win_rate <= run.ci_high, `${run.name}: ${JSON.stringify(run)}`);
      assert.ok(run.lc_win_rate >= 0 && run.lc_win_rate <= 1);
      assert.ok(run.mean_length > 0 && run.mean_length <= 12);
      assert.ok(existsSync(join(run.seeds[0]!.run_dir, "model.safetensors")) && existsSync(join(run.seeds[0]!.run_dir, "log.jsonl")));
    }
    // every pair is ordered by the lexicon, and responses differ in length (the cut), which is what POET acts on
    const pairs = readFileSync(join(dir, "pairs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { chosen_reward: number; rejected_reward: number; chosen_input_ids: number[]; rejected_input_ids: number[] });
    assert.equal(pairs.length, results.pairs.train);
    assert.ok(pairs.length > 10);
    for (const p of pairs) assert.ok(p.chosen_reward > p.rejected_reward && p.chosen_input_ids.length > 0 && p.rejected_input_ids.length > 0);
    assert.ok(pairs.some((p) => p.chosen_input_ids.length !== p.rejected_input_ids.length));
    assert.ok(results.pairs.poet_kept_fraction > 0 && results.pairs.poet_kept_fraction < 1);
    // POET's effect per loss: the pooled difference of the win rates, inside its interval, and a verdict that matches it
    assert.deepEqual(results.poet_effect.map((e) => e.loss), ["dpo", "simpo"]);
    for (const e of results.poet_effect) {
      const byName = (n: string) => results.runs.find((x) => x.name === n)!.win_rate;
      assert.ok(Math.abs(e.delta - (byName(`${e.loss}+poet`) - byName(e.loss))) < 1e-9, JSON.stringify(e));
      assert.ok(e.ci_low <= e.delta && e.delta <= e.ci_high && e.prompts === 24);
      assert.equal(e.verdict, e.ci_low > 0 ? "gain" : e.ci_high < 0 ? "loss" : "no significant difference");
    }
    assert.ok(results.findings.length >= 2 && results.findings[0]!.startsWith("POET changes DPO's win rate"));
    const html = readFileSync(join(dir, "report.html"), "utf8");
    assert.ok(html.includes("<svg") && html.includes("dpo+poet"));
    assert.ok(html.indexOf('id="intro"') > 0 && html.indexOf('id="intro"') < html.indexOf("<h2>Summary</h2>"), "the pooled results come first");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
