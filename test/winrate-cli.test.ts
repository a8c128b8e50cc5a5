// `poet winrate` run in-process with the lexicon judge: generating with two models (completions equal to
// `poet generate`'s), the run directory it writes, winrates.json merging, reading generation files, and user errors.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { generateCommand } from "../src/cli/generate.js";
import { winrateCommand } from "../src/cli/winrate.js";
import { UserError } from "../src/errors.js";
import { lexiconScores } from "../src/eval/judges/lexicon.js";
import type { WinRate } from "../src/eval/types.js";
import { copyAuxiliaryFiles, initModel, loadModel, saveModel } from "../src/models/load.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MODEL = join(ROOT, "examples", "tiny-gpt2");
let tmp = "", baseline = "", DATA = "";

before(() => {
  tmp = mkdtempSync(join(tmpdir(), "poet-winrate-"));
  // a baseline that differs from the model: the same architecture, freshly initialised
  baseline = join(tmp, "baseline");
  saveModel(initModel(loadModel(MODEL).config, 5), baseline);
  copyAuxiliaryFiles(MODEL, baseline);
  // distinct prompts (examples/pairs.jsonl repeats one), so that greedy completions, and verdicts, differ
  DATA = join(tmp, "prompts.jsonl");
  const prompts = ["I loved this film because", "The worst part of the movie was", "Honestly, the acting was", "My friends said the ending",
    "What a wonderful", "The plot made me feel", "This is a terrible", "The soundtrack is", "I would recommend it to",
    "The director should have", "Great cast, but", "It was boring and"];
  writeFileSync(DATA, prompts.map((prompt) => JSON.stringify({ prompt })).join("\n") + "\n");
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Runs the command, returning the text it printed on stdout. The test runner reports on the same stdout with
 * serialized Buffers, which are passed through.
 */
async function run(argv: string[]): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let out = "";
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== "string") return write(chunk, ...rest);
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await winrateCommand.run(argv);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

const readJsonl = (f: string) => readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
// greedy: sampling sorts the whole 50k vocabulary per token, too slow for a test
const GEN = ["--max-new-tokens", "12", "--temperature", "0", "--seed", "3"];

test("poet winrate generates with both models, judges with the lexicon, writes the run directory", async () => {
  const run1 = join(tmp, "run");
  const out = await run(["--model", MODEL, "--baseline", baseline, "--data", DATA, "--judge", "lexicon", "--output-dir", run1, ...GEN]);
  assert.match(out, /win rate\s+\d+\.\d%\s+\[\d+\.\d, \d+\.\d\] \(95% Wilson\)/);
  assert.match(out, /LC win rate/);
  const gm = readJsonl(join(run1, "generations.jsonl")), gb = readJsonl(join(run1, "baseline_generations.jsonl"));
  assert.equal(gm.length, 12);
  assert.equal(gb.length, 12);
  // the model's completions are poet generate's for the same options
  const ref = join(tmp, "ref.jsonl");
  await generateCommand.run(["--model", MODEL, "--data", DATA, "--output", ref, ...GEN]);
  assert.deepEqual(gm, readJsonl(ref));
  // the entry, recomputed from the files
  const [w, ...rest] = JSON.parse(readFileSync(join(run1, "winrates.json"), "utf8")) as WinRate[];
  assert.equal(rest.length, 0);
  const sm = lexiconScores(gm.map((r) => r.completion as string)), sb = lexiconScores(gb.map((r) => r.completion as string));
  const wins = sm.filter((s, i) => s > sb[i]!).length, ties = sm.filter((s, i) => s === sb[i]!).length;
  assert.equal(w!.judge, "lexicon");
  assert.equal(w!.baseline, baseline);
  assert.equal(w!.n, 12);
  assert.ok(wins > 0 && ties > 0 && wins + ties < 12, `wins ${wins}, ties ${ties}: the test needs all three outcomes`);
  assert.equal(w!.wins, wins);
  assert.equal(w!.ties, ties);
  assert.ok(Math.abs(w!.win_rate - (wins + ties / 2) / 12) < 1e-12);
  assert.ok(Math.abs(w!.mean_reward! - sm.reduce((a, b) => a + b, 0) / 12) < 1e-12);
  const lens = gm.map((r) => (r.completion_input_ids as number[]).length);
  assert.ok(Math.abs(w!.mean_length - lens.reduce((a, b) => a + b, 0) / 12) < 1e-12);
  assert.ok(w!.ci_low <= w!.win_rate && w!.win_rate <= w!.ci_high);
  assert.ok(w!.lc_ci_low! <= w!.lc_win_rate && w!.lc_win_rate <= w!.lc_ci_high!);

  // the same comparison from the generation files, as JSON; same judge and baseline name -> replaced, not added
  const json = await run(["--generations", join(run1, "generations.jsonl"), "--baseline-generations", join(run1, "baseline_generations.jsonl"),
    "--baseline-name", baseline, "--judge", "lexicon", "--output-dir", run1, "--seed", "3", "--json"]);
  assert.deepEqual(JSON.parse(json), w);
  assert.equal((JSON.parse(readFileSync(join(run1, "winrates.json"), "utf8")) as WinRate[]).length, 1);
  // another baseline name -> a second entry; the swapped comparison mirrors the raw win rate
  await run(["--generations", join(run1, "baseline_generations.jsonl"), "--baseline-generations", join(run1, "generations.jsonl"),
    "--baseline-name", "swapped", "--output-dir", run1]);
  const list = JSON.parse(readFileSync(join(run1, "winrates.json"), "utf8")) as WinRate[];
  assert.deepEqual(list.map((x) => x.baseline), [baseline, "swapped"]);
  assert.ok(Math.abs(list[1]!.win_rate - (1 - w!.win_rate)) < 1e-12);
});

test("poet winrate: user errors name the flag or file and what to do", async () => {
  const gen = join(tmp, "g.jsonl");
  writeFileSync(gen, JSON.stringify({ prompt: "Hi", completion: " there", completion_input_ids: [612] }) + "\n");
  const two = join(tmp, "g2.jsonl");
  writeFileSync(two, [{ prompt: "Hi", completion: "a", completion_input_ids: [64] }, { prompt: "Yo", completion: "b", completion_input_ids: [65] }].map((r) => JSON.stringify(r)).join("\n") + "\n");
  const noIds = join(tmp, "g3.jsonl");
  writeFileSync(noIds, JSON.stringify({ prompt: "Hi", completion: " there" }) + "\n");
  const other = join(tmp, "g4.jsonl");
  writeFileSync(other, JSON.stringify({ prompt: "Hello", completion: " there", completion_input_ids: [612] }) + "\n");
  const cases: [string[], RegExp][] = [
    [["--generations", gen, "--baseline-generations", gen, "--judge", "lexcon"], /did you mean lexicon\?/],
    [["--generations", gen, "--baseline-generations", two], /1 model generations but 2 baseline generations/],
    [["--generations", gen, "--baseline-generations", noIds], /g3\.jsonl:1: no "completion_input_ids"/],
    [["--generations", gen, "--baseline-generations", other], /g4\.jsonl:1: the prompt differs from .*g\.jsonl:1/],
    [["--model", MODEL, "--baseline-generations", gen], /--data is required/],
    [["--generations", gen], /the baseline needs --baseline DIR/],
    [["--generations", gen, "--baseline-generations", gen, "--judge-url", "http://127.0.0.1:1/v1"], /--judge-url needs --judge-model/],
    [["--generations", gen, "--baseline-generations", gen, "--bootstrap", "3"], /unknown flag --bootstrap/],
  ];
  for (const [argv, re] of cases) await assert.rejects(run(argv), (e: Error) => e instanceof UserError && re.test(e.message), argv.join(" "));
});
