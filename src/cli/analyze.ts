// `poet analyze`: the reward-generation-gap analysis of a model (eval/analyze.ts) over preference pairs, written as
// analysis.json for `poet report`. Wires the library's measurements to the data, the reference model and a judge;
// the fourth view of the gap (chosen reward against margin over training) is read from log.jsonl by the report.
import { join } from "node:path";
import { parseTruncation } from "../data/truncation.js";
import { loadTokenizer } from "../data/tokenizer.js";
import { getBackend } from "../engine/backend.js";
import { UserError } from "../errors.js";
import { perPositionCE, prefixQuality, rewardByPrefix, tokenLogps } from "../eval/analyze.js";
import { judgeFromSpec, type Judge } from "../eval/judges/index.js";
import { eosIdsOf } from "../eval/prompts.js";
import type { GapAnalysis } from "../eval/types.js";
import { loadModel } from "../models/load.js";
import { preparePairs } from "../train/trainer.js";
import { numberFlag, parseFlags, positiveInt, required, type Command } from "./command.js";
import { writeFileAtomic } from "../atomic-write.js";

const help = `poet analyze: the reward-generation gap of a model (after POET, arXiv 2506.09457, sec. 3)

Usage: poet analyze --model DIR --ref-model DIR --data FILE [options]

Writes analysis.json (read by poet report) with three measurements over the pairs of FILE:
  per_position_ce   mean cross-entropy (nats) of chosen and rejected response tokens at each position: where
                    along a response the model's probability mass (and so its implicit reward) lives
  reward_by_prefix  the implicit reward beta * (log pi - log ref) of chosen and rejected cut to their first k
                    tokens: mean margin and accuracy (chosen > rejected) at each k
  prefix_quality    the model answers each pair's prompt; its first k tokens are kept, the reference model
                    writes the rest (to --max-new-tokens in all) and the judge scores the text; k = 0 is the
                    reference model alone. How fast the score rises with k says how much of the quality the
                    first tokens decide.
Prefix quality needs text: when the model directory has no tokenizer.json, or with --judge none, it is skipped
(prefix_quality is [] and meta.note says why); the log-prob measurements need only token ids.

Options:
  --model DIR            the trained model (Hugging Face directory)
  --ref-model DIR        the reference model (usually the one training started from); same vocabulary
  --data FILE            preference pairs (.jsonl, .json or .parquet; any row format poet train accepts)
  --output FILE          where to write (atomically); default DIR/analysis.json of --model
  --beta B               beta of the implicit reward (default 0.1)
  --reference-free       SimPO-style reward beta * mean log pi of the prefix (no reference in the reward;
                         the reference model still continues prefixes)
  --truncation T         truncation applied to the pairs first: none (default), poet, poet:F, response:F
  --max-length N         TRL's max_length applied to the pairs (default: no limit)
  --max-prompt-length N  TRL's max_prompt_length (default: no limit)
  --max-position N       positions of per_position_ce (default 64)
  --prefix-ks LIST       prefix lengths k, comma-separated (default 0,1,2,4,8,16,32,64; k = 0 is used by
                         prefix_quality only)
  --judge J              lexicon (VADER sentiment, default), reward-model:DIR, or none; pointwise judges
                         only (llm:MODEL@URL compares two answers and cannot score one)
  --max-prompts N        prompts (from the first pairs; a repeated prompt is sampled again) for prefix_quality
                         (default 64)
  --max-new-tokens N     response budget of prefix_quality (default 64)
  --temperature T        sampling temperature of prefix_quality, 0 = greedy (default 1.0)
  --seed S               sampling seed (default 42)
  --json                 also print the analysis to stdout

Examples:
  poet analyze --model examples/tiny-gpt2 --ref-model examples/tiny-gpt2 --data examples/pairs.jsonl --output /tmp/analysis.json --max-new-tokens 16 --prefix-ks 0,2,4,8
  poet analyze --model runs/dpo-poet --ref-model examples/tiny-gpt2 --data examples/pairs.jsonl --truncation poet
  poet report runs/dpo-poet runs/dpo --output report.html
`;

function ks(v: string | undefined): number[] {
  if (v === undefined) return [0, 1, 2, 4, 8, 16, 32, 64];
  const out = v.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (out.length === 0 || out.some((k) => !Number.isInteger(k) || k < 0))
    throw new UserError(`poet analyze: --prefix-ks ${v}: expected comma-separated integers >= 0, e.g. 0,2,4,8,16`);
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * prefixQuality calls its scorer synchronously, once per k in order; judges are async. So the scorer only collects
 * the completions (returning NaN), and the judge scores them afterwards; the means are then replaced.
 */
async function judgedPrefixQuality(run: (score: (c: number[][]) => number[]) => GapAnalysis["prefix_quality"],
  score: NonNullable<Judge["score"]>, prompts: string[], decode: (ids: number[]) => string): Promise<GapAnalysis["prefix_quality"]> {
  const collected: number[][][] = [];
  const rows = run((c) => (collected.push(c), c.map(() => NaN)));
  if (collected.length !== rows.length) throw new Error(`prefixQuality scored ${collected.length} sets for ${rows.length} ks`);
  // one k at a time: a reward-model judge holds a model in memory, an LLM judge has a rate limit
  const out: GapAnalysis["prefix_quality"] = [];
  for (const [i, r] of rows.entries()) {
    const s = await score(prompts, collected[i]!.map(decode));
    out.push({ ...r, score: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length) });
  }
  return out;
}

export const analyzeCommand: Command = {
  name: "analyze",
  summary: "reward-generation-gap analysis (per-position CE, reward by prefix, prefix quality) -> analysis.json",
  help,
  async run(argv) {
    const f = parseFlags("analyze", argv, {
      model: { type: "string" }, "ref-model": { type: "string" }, data: { type: "string" }, output: { type: "string" },
      beta: { type: "string" }, "reference-free": { type: "boolean" }, truncation: { type: "string" },
      "max-length": { type: "string" }, "max-prompt-length": { type: "string" }, "max-position": { type: "string" },
      "prefix-ks": { type: "string" }, judge: { type: "string" }, "max-prompts": { type: "string" },
      "max-new-tokens": { type: "string" }, temperature: { type: "string" }, seed: { type: "string" }, json: { type: "boolean" },
    });
    const modelDir = required("analyze", "model", f.model), refDir = required("analyze", "ref-model", f["ref-model"]);
    const data = required("analyze", "data", f.data);
    const output = f.output ?? join(modelDir, "analysis.json");
    const beta = numberFlag("analyze", "beta", f.beta, 0.1, (x) => x > 0, "a number > 0");
    const truncation = f.truncation ?? "none";
    const judgeName = f.judge ?? "lexicon";
    const judge = judgeName === "none" ? null : judgeFromSpec(judgeName);
    if (judge && !judge.score) throw new UserError(`poet analyze: --judge ${judgeName} is pairwise; prefix quality needs a pointwise judge (lexicon, reward-model:DIR) or --judge none`);
    const prefixKs = ks(f["prefix-ks"]);
    const maxPosition = positiveInt("analyze", "max-position", f["max-position"], 64);
    const maxPrompts = positiveInt("analyze", "max-prompts", f["max-prompts"], 64);
    const maxNewTokens = positiveInt("analyze", "max-new-tokens", f["max-new-tokens"], 64);
    const temperature = numberFlag("analyze", "temperature", f.temperature, 1, (x) => x >= 0, "a number >= 0");
    const seed = numberFlag("analyze", "seed", f.seed, 42, Number.isInteger, "an integer");
    const limit = (flag: string, v: string | undefined) => (v === undefined ? null : positiveInt("analyze", flag, v, 1));
    const log = (m: string) => process.stderr.write(`poet analyze: ${m}\n`);

    const backend = getBackend();
    const model = loadModel(modelDir, backend), ref = loadModel(refDir, backend);
    if (model.vocabSize !== ref.vocabSize)
      throw new UserError(`poet analyze: --model ${modelDir} has ${model.vocabSize} tokens but --ref-model ${refDir} has ${ref.vocabSize}; the reference must share the model's vocabulary`);
    const pairs = await preparePairs(data, modelDir, model, {
      maxLength: limit("max-length", f["max-length"]), maxPromptLength: limit("max-prompt-length", f["max-prompt-length"]),
      truncation: parseTruncation(truncation, "--truncation"), skipInvalidRows: false,
    }, log);

    const t0 = performance.now();
    const lp = tokenLogps(model, pairs), refLp = tokenLogps(ref, pairs);
    const analysis: GapAnalysis = {
      per_position_ce: perPositionCE(lp, maxPosition),
      reward_by_prefix: rewardByPrefix(lp, f["reference-free"] ? null : refLp, beta, prefixKs.filter((k) => k > 0)),
      prefix_quality: [],
    };
    log(`log-prob measurements of ${pairs.length} pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const tokenizer = await loadTokenizer(modelDir);
    let note: string | undefined;
    if (judge === null) note = "prefix quality skipped: --judge none";
    else if (tokenizer === null) note = `prefix quality skipped: ${modelDir} has no tokenizer.json, and the judge scores text`;
    else {
      const t1 = performance.now();
      const prompts = pairs.slice(0, maxPrompts).map((p) => p.promptIds);
      const decode = (ids: number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
      const opt = { maxNewTokens, seed, temperature, eosIds: eosIdsOf(modelDir, tokenizer) };
      analysis.prefix_quality = await judgedPrefixQuality((score) => prefixQuality(model, ref, prompts, prefixKs, score, opt),
        judge.score!.bind(judge), prompts.map(decode), decode);
      log(`prefix quality of ${prompts.length} prompts at ${prefixKs.length} prefix lengths in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
    if (note) log(note);
    analysis.meta = {
      model: modelDir, ref_model: refDir, data, pairs: pairs.length, beta, reference_free: f["reference-free"] ?? false,
      truncation, judge: judge && !note ? judge.name : null, temperature, max_new_tokens: maxNewTokens, seed,
      ...(note ? { note } : {}),
    };

    const text = JSON.stringify(analysis, null, 2) + "\n";
    writeFileAtomic(output, text);
    log(`-> ${output}`);
    if (f.json) process.stdout.write(text);
  },
};
