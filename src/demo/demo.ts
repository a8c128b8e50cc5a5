// `poet demo`: the whole controlled experiment on the embedded base model, in one process. Prompts are openings
// of review sentences; the base model samples continuations; the lexicon (VADER) labels pairs; DPO, DPO+POET,
// SimPO and SimPO+POET train from the base model for several seeds; each run's generations on held-out prompts
// are judged against the base model's (win rate, length-controlled win rate); the gap analysis runs on held-out
// pairs; a report puts it side by side. Everything lands in DIR; DIR/results.json sums it up.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic, writeJsonLines } from "../atomic-write.js";
import { loadPairs } from "../data/load-pairs.js";
import { loadTokenizer, type PoetTokenizer } from "../data/tokenizer.js";
import { getBackend } from "../engine/backend.js";
import { UserError } from "../errors.js";
import { perPositionCE, prefixQuality, rewardByPrefix, tokenLogps } from "../eval/analyze.js";
import { generate } from "../eval/generate.js";
import { eosIdsOf } from "../eval/prompts.js";
import { lexiconScores } from "../eval/judges/lexicon.js";
import type { GapAnalysis, WinRate } from "../eval/types.js";
import { preferencesFromScores, winRate, winRateDifference, type WinRateDifference } from "../eval/winrate.js";
import { writeReport } from "../eval/report/index.js";
import { loadModel } from "../models/load.js";
import type { CausalLM } from "../models/model.js";
import { loadTrainConfig } from "../train/config.js";
import { trainOptionsOf } from "../train/options.js";
import { train } from "../train/trainer.js";
import { buildPairs, promptIds, reviewOpenings, type PairRow } from "./sentiment-task.js";

/** The package root (dist/src/demo/ -> ../../..), where models/ and data/ are shipped. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const DEFAULT_BASE_MODEL = join(PACKAGE_ROOT, "models", "poet-tiny");
const SENTENCES = ["imdb", "yelp", "amazon"].map((s) => join(PACKAGE_ROOT, "data", "sentiment", `uci_${s}.json`));

/** The four methods the issue asks for, as trainer flags. Hyper-parameters follow the papers' ratios. */
export const METHODS = {
  dpo: { loss: "dpo", truncation: "none" },
  "dpo+poet": { loss: "dpo", truncation: "poet" },
  simpo: { loss: "simpo", truncation: "none" },
  "simpo+poet": { loss: "simpo", truncation: "poet" },
} as const;
export type MethodName = keyof typeof METHODS;

export interface DemoOptions {
  outputDir: string;
  baseModel: string;
  seeds: number[];
  /** Prompts whose pairs train the policies, and held-out prompts for win rates and the analysis. */
  trainPrompts: number;
  evalPrompts: number;
  /** Base-model samples per training prompt; the best and worst under the lexicon make a pair. */
  samplesPerPrompt: number;
  maxNewTokens: number;
  /** Sampling temperature of every generation (pairs, win rates). */
  temperature: number;
  epochs: number;
  dpo: { beta: number; learningRate: number };
  simpo: { beta: number; gammaBetaRatio: number; learningRate: number };
  batchSize: number;
}

export const DEMO_DEFAULTS: Omit<DemoOptions, "outputDir"> = {
  baseModel: DEFAULT_BASE_MODEL,
  seeds: [1, 2, 3, 4, 5],
  trainPrompts: 1200,
  evalPrompts: 400,
  samplesPerPrompt: 4,
  maxNewTokens: 32,
  temperature: 1,
  epochs: 2,
  dpo: { beta: 0.1, learningRate: 2e-4 },
  simpo: { beta: 2.0, gammaBetaRatio: 0.5, learningRate: 2e-4 },
  batchSize: 16,
};

/** One line of DIR/results.json: a method, its seeds pooled. */
export interface DemoRun {
  name: MethodName;
  win_rate: number;
  ci_low: number;
  ci_high: number;
  lc_win_rate: number;
  lc_ci_low?: number;
  lc_ci_high?: number;
  mean_reward: number;
  mean_length: number;
  /** The gap analysis's prefix quality, mean over seeds: the run's first k tokens, the base model's continuation. */
  prefix_quality: { k: number; score: number }[];
  seeds: { seed: number; win_rate: number; lc_win_rate: number; mean_reward: number; mean_length: number; run_dir: string }[];
}

/** What POET does to one loss: the pooled win rate with POET minus without, on the same prompts. */
export interface PoetEffect extends WinRateDifference {
  loss: "dpo" | "simpo";
  /** "gain" or "loss" when the 95% interval excludes 0, else "no significant difference". */
  verdict: "gain" | "loss" | "no significant difference";
}

export interface DemoResults {
  base_model: string;
  judge: string;
  base: { mean_reward: number; mean_length: number };
  pairs: { train: number; eval: number; mean_chosen_tokens: number; mean_rejected_tokens: number; poet_kept_fraction: number };
  runs: DemoRun[];
  poet_effect: PoetEffect[];
  /** The demo's reading of its own numbers, also at the top of report.html. */
  findings: string[];
  seconds: number;
}

type Log = (msg: string) => void;

interface Generations { ids: number[][]; texts: string[]; scores: number[]; lengths: number[] }

const writeJson = (file: string, value: unknown) => writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");

const mean = (x: readonly number[]) => x.reduce((a, b) => a + b, 0) / Math.max(1, x.length);

function readSentences(): string[] {
  return SENTENCES.flatMap((f) => (JSON.parse(readFileSync(f, "utf8")) as { text: string }[]).map((r) => r.text));
}

function sample(model: CausalLM, tok: PoetTokenizer, prompts: readonly number[][], o: DemoOptions, eosIds: readonly number[], seed: number): Generations {
  const ids = generate(model, prompts, { maxNewTokens: o.maxNewTokens, temperature: o.temperature, topP: 1, topK: 0, seed, eosIds, batchSize: 64 });
  const texts = ids.map((g) => tok.decode(g, { skipSpecialTokens: true }));
  return { ids, texts, scores: lexiconScores(texts), lengths: ids.map((g) => g.length) };
}

/** The winrates.json entry of per-prompt preferences against the base model's generations under the lexicon. */
function lexiconWinRate(prefs: readonly number[], lengths: readonly number[], scores: readonly number[], base: Generations): WinRate {
  return winRate(prefs, lengths, base.lengths, { judge: "lexicon", baseline: "base", meanReward: mean(scores), meanRewardBaseline: mean(base.scores) });
}

function analysis(policy: CausalLM, base: CausalLM, tok: PoetTokenizer, evalPrompts: readonly number[][],
  beta: number, referenceFree: boolean, o: DemoOptions, eosIds: readonly number[], pairs: Awaited<ReturnType<typeof loadPairs>>["pairs"]): GapAnalysis {
  const ks = [1, 2, 4, 8, 16, 32];
  const lp = tokenLogps(policy, pairs);
  const ref = referenceFree ? null : tokenLogps(base, pairs);
  return {
    per_position_ce: perPositionCE(lp, o.maxNewTokens),
    reward_by_prefix: rewardByPrefix(lp, ref, beta, ks),
    prefix_quality: prefixQuality(policy, base, evalPrompts.slice(0, 200), [0, 2, 4, 8, 16], (c) => lexiconScores(c.map((x) => tok.decode(x, { skipSpecialTokens: true }))),
      { maxNewTokens: o.maxNewTokens, seed: 7, eosIds, temperature: o.temperature }),
  };
}

export async function runDemo(o: DemoOptions, log: Log): Promise<DemoResults> {
  const t0 = performance.now();
  const secs = () => ((performance.now() - t0) / 1000).toFixed(0);
  mkdirSync(o.outputDir, { recursive: true });
  const backend = getBackend();
  const base = loadModel(o.baseModel, backend);
  const tok = await loadTokenizer(o.baseModel);
  if (!tok) throw new UserError(`${o.baseModel}: the demo's base model needs its tokenizer.json`);
  const eosIds = eosIdsOf(o.baseModel, tok);

  // 1. prompts and pairs, labelled by the lexicon
  const split = reviewOpenings(readSentences(), 1234, o.trainPrompts, o.evalPrompts);
  const pairOpts = { samples: o.samplesPerPrompt, maxNewTokens: o.maxNewTokens, minNewTokens: 4, temperature: o.temperature, eosIds, minRewardGap: 0.05 };
  const trainRows = buildPairs(base, tok, split.train, lexiconScores, { ...pairOpts, seed: 11 });
  const evalRows = buildPairs(base, tok, split.eval, lexiconScores, { ...pairOpts, seed: 12 });
  const pairsFile = join(o.outputDir, "pairs.jsonl"), evalPairsFile = join(o.outputDir, "eval_pairs.jsonl");
  writeJsonLines(pairsFile, trainRows);
  writeJsonLines(evalPairsFile, evalRows);
  const kept = mean(trainRows.map((r) => Math.min(r.chosen_input_ids.length, r.rejected_input_ids.length) * 2 / (r.chosen_input_ids.length + r.rejected_input_ids.length)));
  log(`[${secs()}s] ${trainRows.length} training pairs from ${split.train.length} prompts, ${evalRows.length} held-out pairs -> ${pairsFile}`);

  // 2. the base model's generations on held-out prompts: the baseline of every win rate
  const evalPrompts = split.eval.map((p) => promptIds(tok, p));
  const baseGen = sample(base, tok, evalPrompts, o, eosIds, 99);
  writeJsonLines(join(o.outputDir, "base", "generations.jsonl"), split.eval.map((p, i) => ({ prompt: p, completion: baseGen.texts[i], completion_input_ids: baseGen.ids[i], reward: baseGen.scores[i] })));
  log(`[${secs()}s] base model: mean reward ${mean(baseGen.scores).toFixed(3)}, mean length ${mean(baseGen.lengths).toFixed(1)} tokens`);
  const heldOut = (await loadPairs(evalPairsFile, { modelDir: o.baseModel, vocabSize: base.vocabSize, skipInvalid: false })).pairs;

  // 3. every method x seed: train, generate, judge, analyse
  const runs: DemoRun[] = [];
  const runDirs: string[] = [];
  const prefsBySeed = {} as Record<MethodName, number[][]>;
  for (const [name, m] of Object.entries(METHODS) as [MethodName, (typeof METHODS)[MethodName]][]) {
    const perSeed: DemoRun["seeds"] = [];
    prefsBySeed[name] = [];
    const prefixScores = new Map<number, number[]>();
    const allPrefs: number[] = [], allLengths: number[] = [], allScores: number[] = [];
    for (const seed of o.seeds) {
      const runDir = join(o.outputDir, "runs", `${name}-seed${seed}`);
      const hp = m.loss === "dpo" ? ["--beta", String(o.dpo.beta), "--learning-rate", String(o.dpo.learningRate)]
        : ["--beta", String(o.simpo.beta), "--gamma-beta-ratio", String(o.simpo.gammaBetaRatio), "--learning-rate", String(o.simpo.learningRate)];
      const { config } = loadTrainConfig([
        "--model", o.baseModel, "--data", pairsFile, "--eval-data", evalPairsFile, "--output-dir", runDir, "--loss", m.loss,
        "--truncation", m.truncation, ...hp, "--num-train-epochs", String(o.epochs), "--per-device-train-batch-size", String(o.batchSize),
        "--lr-scheduler-type", "cosine", "--warmup-ratio", "0.1", "--seed", String(seed), "--logging-steps", "5", "--eval-strategy", "steps", "--eval-steps", "20",
        "--save-strategy", "no",
      ], { command: "demo", purpose: "train" });
      await train(trainOptionsOf(config), () => {});
      const policy = loadModel(runDir, backend);
      const gen = sample(policy, tok, evalPrompts, o, eosIds, 99 + seed);
      writeJsonLines(join(runDir, "generations.jsonl"), split.eval.map((p, i) => ({ prompt: p, completion: gen.texts[i], completion_input_ids: gen.ids[i], reward: gen.scores[i] })));
      const prefs = preferencesFromScores(gen.scores, baseGen.scores);
      const wr = lexiconWinRate(prefs, gen.lengths, gen.scores, baseGen);
      writeJson(join(runDir, "winrates.json"), [wr]);
      const ga = analysis(policy, base, tok, evalPrompts, m.loss === "dpo" ? o.dpo.beta : o.simpo.beta, m.loss === "simpo", o, eosIds, heldOut);
      writeJson(join(runDir, "analysis.json"), ga);
      for (const q of ga.prefix_quality) prefixScores.set(q.k, [...(prefixScores.get(q.k) ?? []), q.score]);
      runDirs.push(runDir);
      perSeed.push({ seed, win_rate: wr.win_rate, lc_win_rate: wr.lc_win_rate, mean_reward: wr.mean_reward!, mean_length: wr.mean_length, run_dir: runDir });
      prefsBySeed[name].push(prefs);
      allPrefs.push(...prefs);
      allLengths.push(...gen.lengths);
      allScores.push(...gen.scores);
      log(`[${secs()}s] ${name} seed ${seed}: win rate ${(100 * wr.win_rate).toFixed(1)}% [${(100 * wr.ci_low).toFixed(1)}, ${(100 * wr.ci_high).toFixed(1)}], ` +
        `LC ${(100 * wr.lc_win_rate).toFixed(1)}%, reward ${wr.mean_reward!.toFixed(3)}, length ${wr.mean_length.toFixed(1)}`);
    }
    // the seeds pooled: the base model's generations are the baseline of every seed's
    const pooled = winRate(allPrefs, allLengths, o.seeds.flatMap(() => baseGen.lengths), { judge: "lexicon", baseline: "base" });
    runs.push({
      name, win_rate: pooled.win_rate, ci_low: pooled.ci_low, ci_high: pooled.ci_high, lc_win_rate: pooled.lc_win_rate,
      ...(pooled.lc_ci_low !== undefined ? { lc_ci_low: pooled.lc_ci_low, lc_ci_high: pooled.lc_ci_high } : {}),
      mean_reward: mean(allScores), mean_length: pooled.mean_length,
      prefix_quality: [...prefixScores].map(([k, v]) => ({ k, score: mean(v) })), seeds: perSeed,
    });
  }

  const poetEffect: PoetEffect[] = (["dpo", "simpo"] as const).map((loss) => {
    const d = winRateDifference(prefsBySeed[`${loss}+poet`], prefsBySeed[loss], { seed: 5 });
    return { loss, ...d, verdict: d.ci_low > 0 ? "gain" : d.ci_high < 0 ? "loss" : "no significant difference" };
  });
  const results: DemoResults = {
    base_model: o.baseModel, judge: "lexicon (VADER compound)",
    base: { mean_reward: mean(baseGen.scores), mean_length: mean(baseGen.lengths) },
    pairs: {
      train: trainRows.length, eval: evalRows.length,
      mean_chosen_tokens: mean(trainRows.map((r) => r.chosen_input_ids.length)),
      mean_rejected_tokens: mean(trainRows.map((r) => r.rejected_input_ids.length)), poet_kept_fraction: kept,
    },
    runs, poet_effect: poetEffect, findings: [], seconds: 0,
  };
  results.findings = demoFindings(results, o);
  results.seconds = (performance.now() - t0) / 1000;
  writeJson(join(o.outputDir, "results.json"), results);
  await writeReport(runDirs, {
    output: join(o.outputDir, "report.html"), title: "poet demo: DPO and SimPO with and without POET on the sentiment task",
    intro: { heading: "The experiment", html: demoIntroHtml(results, o) },
  });
  log(`[${secs()}s] results -> ${join(o.outputDir, "results.json")}, report -> ${join(o.outputDir, "report.html")}`);
  return results;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? "+" : "\u2212"}${Math.abs(100 * x).toFixed(1)}`;

/** Plain sentences on what the numbers say: POET's effect per loss with its interval, and the caveats that apply. */
export function demoFindings(r: DemoResults, o: Pick<DemoOptions, "maxNewTokens" | "seeds">): string[] {
  const lossName = { dpo: "DPO", simpo: "SimPO" } as const;
  const seeds = `${o.seeds.length} seed${o.seeds.length === 1 ? "" : "s"}`;
  const out = r.poet_effect.map((e) =>
    `POET changes ${lossName[e.loss]}'s win rate against the base model by ${pts(e.delta)} points (95% interval ${pts(e.ci_low)} to ` +
    `${pts(e.ci_high)}, ${e.prompts} held-out prompts x ${seeds}): ${e.verdict === "no significant difference" ? "no significant difference" : `a significant ${e.verdict}`}.`);
  for (const loss of ["dpo", "simpo"] as const) {
    const q = (name: string) => r.runs.find((x) => x.name === name)?.prefix_quality ?? [];
    const plain = q(loss), poet = q(`${loss}+poet`);
    const k = Math.max(...plain.filter((x) => x.k > 0 && poet.some((y) => y.k === x.k)).map((x) => x.k).filter((x) => x <= 8));
    const a = plain.find((x) => x.k === k), b = poet.find((x) => x.k === k), k0 = plain.find((x) => x.k === 0);
    if (a && b && Number.isFinite(k))
      out.push(`Prefixes: the first ${k} tokens of ${lossName[loss]}+POET's answers, continued by the base model, score ${b.score.toFixed(3)} under the ` +
        `judge against ${a.score.toFixed(3)} for ${lossName[loss]}'s${k0 ? ` (the base model alone: ${k0.score.toFixed(3)})` : ""}.`);
  }
  const capped = r.runs.filter((x) => x.mean_length >= 0.95 * o.maxNewTokens).map((x) => x.name);
  if (capped.length)
    out.push(`${capped.join(", ")} write to the ${o.maxNewTokens}-token cap almost every time (they stopped emitting EOS), so their length ` +
      "hardly varies and their length-controlled win rate says little.");
  const longer = r.runs.filter((x) => x.mean_length > 1.2 * r.base.mean_length).map((x) => x.name);
  if (longer.length)
    out.push(`${longer.join(", ")} answer at least 20% longer than the base model (${r.base.mean_length.toFixed(1)} tokens); chosen responses are ` +
      `longer than rejected ones in the training pairs (${r.pairs.mean_chosen_tokens.toFixed(1)} vs ${r.pairs.mean_rejected_tokens.toFixed(1)} tokens on average): a ` +
      "length signal that POET's equal-length pairs take out of the reward. Length is also a real route to reward here, since VADER " +
      "scores a text with more sentiment words further from neutral.");
  return out;
}

const escHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The report's opening: the task in two sentences, the pooled table of the four methods, and the findings. */
function demoIntroHtml(r: DemoResults, o: DemoOptions): string {
  const rows = r.runs.map((x) => `<tr><td>${escHtml(x.name)}</td><td>${pct(x.win_rate)} [${pct(x.ci_low)}, ${pct(x.ci_high)}]</td>` +
    `<td>${pct(x.lc_win_rate)}${x.lc_ci_low !== undefined && x.lc_ci_high !== undefined ? ` [${pct(x.lc_ci_low)}, ${pct(x.lc_ci_high)}]` : ""}</td>` +
    `<td>${x.mean_reward.toFixed(3)}</td><td>${x.mean_length.toFixed(1)}</td><td>${x.seeds.map((s) => pct(s.win_rate)).join(", ")}</td></tr>`);
  return `<p class="lead">Each run continues the openings of ${r.poet_effect[0]?.prompts ?? o.evalPrompts} held-out review sentences; the judge is the VADER ` +
    `sentiment of the continuation (the ground-truth reward), compared prompt by prompt with the base model's continuation (mean reward ` +
    `${r.base.mean_reward.toFixed(3)}, ${r.base.mean_length.toFixed(1)} tokens). Training used ${r.pairs.train} pairs sampled from the base model ` +
    `and labelled by the same reward; POET kept ${pct(r.pairs.poet_kept_fraction)} of their response tokens. Rows pool seeds ${o.seeds.join(", ")}.</p>\n` +
    `<table class="summary"><thead><tr><th>method</th><th>win rate vs base [95% CI]</th><th>LC win rate</th><th>mean reward</th>` +
    `<th>mean length</th><th>per seed</th></tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody></table>\n` +
    `<ul>${r.findings.map((f) => `<li>${escHtml(f)}</li>`).join("")}</ul>`;
}

export type { PairRow };
