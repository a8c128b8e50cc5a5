// `poet winrate`: the win rate (and AlpacaEval 2's length-controlled win rate) of a model's generations against a
// baseline's on held-out prompts, under a judge. Generates with both models, or reads `poet generate` files.
import { join } from "node:path";
import { UserError } from "../errors.js";
import { judgeFromSpec } from "../eval/judges/index.js";
import type { WinRate } from "../eval/types.js";
import { writeJsonLines } from "../atomic-write.js";
import { compareGenerations, generateFor, mergeWinRate, promptText, readGenerations, type GenerationFile } from "../eval/winrate-run.js";
import { loadTokenizer } from "../data/tokenizer.js";
import { numberFlag, parseFlags, positiveInt, required, type Command } from "./command.js";

const help = `poet winrate: win rate of a model's generations against a baseline's, under a judge

Usage: poet winrate --model DIR --baseline DIR --data PROMPTS --judge SPEC [--output-dir RUN] [options]
       poet winrate --generations A.jsonl --baseline-generations B.jsonl --judge SPEC [--output-dir RUN]

Both models generate a completion for every prompt of PROMPTS (any row format poet generate reads; sampling
options as in poet generate), or the completions are read from files poet generate wrote (rows with
"completion" and "completion_input_ids", in the same prompt order). A judge then says, per prompt, whether the
model's completion beats the baseline's:
  lexicon            VADER sentiment of each completion (the demo's ground-truth reward)
  reward-model:DIR   a reward model trained by poet reward
  llm:MODEL@URL      any OpenAI-compatible chat-completions server (OpenAI, vLLM, llama.cpp, poet serve), asked
                     with the two completions in both orders; unparsable answers count as ties and are reported;
                     the key is read from env OPENAI_API_KEY when set
Prints the win rate with its 95% Wilson interval and the length-controlled win rate (AlpacaEval 2: a logistic
regression on tanh of the standardised length difference; the rate with that difference set to 0) with a
bootstrap interval. With --output-dir, writes RUN/generations.jsonl and RUN/baseline_generations.jsonl and
merges the entry into RUN/winrates.json (replacing one with the same judge and baseline).

Options:
  --model DIR                  the model whose generations are judged
  --baseline DIR               the baseline model (also names the baseline in winrates.json)
  --data FILE                  prompts (.jsonl, .json or .parquet)
  --generations FILE           instead of --model: the model's generations, as poet generate wrote them
  --baseline-generations FILE  instead of --baseline: the baseline's generations
  --baseline-name NAME         how winrates.json names the baseline (default: --baseline, else the file)
  --judge SPEC                 lexicon | reward-model:DIR | llm:MODEL@URL (default: lexicon, or llm when
                               --judge-url is given)
  --judge-url URL              LLM judge base URL, e.g. http://127.0.0.1:8000/v1
  --judge-model NAME           LLM judge model name (with --judge-url)
  --judge-concurrency N        LLM requests in flight (default 4)
  --judge-timeout S            seconds per LLM request (default 60); 3 retries with backoff
  --output-dir RUN             where to write generations and winrates.json
  --max-new-tokens N           default 64
  --temperature T              0 = greedy (default 1.0)
  --top-p P                    default 1.0 (off)
  --seed S                     sampling and bootstrap seed (default 42)
  --batch-size N               prompts decoded together (default 16)
  --json                       print the entry as JSON

Examples:
  poet winrate --model runs/dpo-poet --baseline examples/tiny-gpt2 --data prompts.jsonl --judge lexicon --output-dir runs/dpo-poet
  poet winrate --generations a.jsonl --baseline-generations b.jsonl --judge reward-model:runs/rm
  poet serve --model runs/judge --port 8000 &
  poet winrate --generations a.jsonl --baseline-generations b.jsonl --judge-url http://127.0.0.1:8000/v1 --judge-model judge
`;

const pct = (x: number) => (100 * x).toFixed(1);

/** The result as a small table: one row per measure. */
export function formatWinRate(w: WinRate): string {
  const rows: [string, string][] = [
    ["judge", w.judge],
    ["baseline", w.baseline],
    ["prompts", `${w.n}${w.wins !== undefined ? ` (wins ${w.wins}, ties ${w.ties}, losses ${w.losses})` : ""}`],
    ["win rate", `${pct(w.win_rate)}%  [${pct(w.ci_low)}, ${pct(w.ci_high)}] (95% Wilson)`],
    ["LC win rate", `${pct(w.lc_win_rate)}%${w.lc_ci_low !== undefined ? `  [${pct(w.lc_ci_low)}, ${pct(w.lc_ci_high!)}] (95% bootstrap)` : ""}`],
    ["mean length", `${w.mean_length.toFixed(1)} vs ${w.mean_length_baseline.toFixed(1)} tokens`],
  ];
  if (w.mean_reward !== undefined) rows.push(["mean reward", `${w.mean_reward.toFixed(4)} vs ${w.mean_reward_baseline?.toFixed(4)}`]);
  if (w.unparsed !== undefined) rows.push(["unparsed", `${w.unparsed} of ${2 * w.n} judge answers (counted as ties)`]);
  return rows.map(([k, v]) => `${k.padEnd(12)} ${v}`).join("\n") + "\n";
}

export const winrateCommand: Command = {
  name: "winrate",
  summary: "win rate and length-controlled win rate against a baseline, by a lexicon, reward-model or LLM judge",
  help,
  async run(argv) {
    const f = parseFlags("winrate", argv, {
      model: { type: "string" }, baseline: { type: "string" }, data: { type: "string" }, generations: { type: "string" },
      "baseline-generations": { type: "string" }, "baseline-name": { type: "string" }, judge: { type: "string" },
      "judge-url": { type: "string" }, "judge-model": { type: "string" }, "judge-concurrency": { type: "string" },
      "judge-timeout": { type: "string" }, "output-dir": { type: "string" }, "max-new-tokens": { type: "string" },
      temperature: { type: "string" }, "top-p": { type: "string" }, seed: { type: "string" }, "batch-size": { type: "string" },
      json: { type: "boolean" },
    });
    const seed = numberFlag("winrate", "seed", f.seed, 42, Number.isInteger, "an integer");
    const opt = {
      maxNewTokens: positiveInt("winrate", "max-new-tokens", f["max-new-tokens"], 64),
      temperature: numberFlag("winrate", "temperature", f.temperature, 1, (x) => x >= 0, "a number >= 0"),
      topP: numberFlag("winrate", "top-p", f["top-p"], 1, (x) => x > 0 && x <= 1, "a number in (0, 1]"), topK: 0, seed,
      batchSize: positiveInt("winrate", "batch-size", f["batch-size"], 16),
    };
    if (f.judge !== undefined && f["judge-url"] !== undefined) throw new UserError("poet winrate: give either --judge or --judge-url/--judge-model, not both");
    if (f["judge-url"] !== undefined && f["judge-model"] === undefined) throw new UserError("poet winrate: --judge-url needs --judge-model (the model name the server expects)");
    if (f["judge-model"] !== undefined && f["judge-url"] === undefined) throw new UserError("poet winrate: --judge-model needs --judge-url");
    const spec = f.judge ?? (f["judge-url"] !== undefined ? `llm:${f["judge-model"]}@${f["judge-url"]}` : "lexicon");
    const judge = judgeFromSpec(spec, {
      concurrency: positiveInt("winrate", "judge-concurrency", f["judge-concurrency"], 4),
      timeoutMs: 1000 * numberFlag("winrate", "judge-timeout", f["judge-timeout"], 60, (x) => x > 0, "seconds > 0"),
    });

    const side = async (name: string, dirFlag: "model" | "baseline", fileFlag: "generations" | "baseline-generations"): Promise<GenerationFile> => {
      const dir = f[dirFlag], file = f[fileFlag];
      if (dir !== undefined && file !== undefined) throw new UserError(`poet winrate: give --${dirFlag} or --${fileFlag} for the ${name}, not both`);
      if (file !== undefined) return readGenerations(file);
      if (dir === undefined) throw new UserError(`poet winrate: the ${name} needs --${dirFlag} DIR (with --data) or --${fileFlag} FILE; see poet winrate --help`);
      const data = required("winrate", "data", f.data);
      const t0 = performance.now();
      const g = await generateFor(dir, data, opt);
      process.stderr.write(`poet winrate: ${name}: ${g.texts.length} completions from ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      return g;
    };
    const gm = await side("model", "model", "generations");
    const gb = await side("baseline", "baseline", "baseline-generations");
    if (gm.rows.length !== gb.rows.length)
      throw new UserError(`poet winrate: ${gm.rows.length} model generations but ${gb.rows.length} baseline generations: both must be for the same prompts, in the same order`);
    const tok = f.model !== undefined ? await loadTokenizer(f.model) : null;
    const tokB = f.baseline !== undefined ? await loadTokenizer(f.baseline) : null;
    const prompts = gm.rows.map((r) => promptText(r, tok));
    gb.rows.forEach((r, i) => {
      if (promptText(r, tokB ?? tok) !== prompts[i])
        throw new UserError(`${r.source.file}:${r.source.line}: the prompt differs from ${gm.rows[i]!.source.file}:${gm.rows[i]!.source.line}: both files must hold the same prompts in the same order`);
    });
    const baselineName = f["baseline-name"] ?? f.baseline ?? f["baseline-generations"]!;
    const t0 = performance.now();
    const w = await compareGenerations({ prompts, model: gm, baseline: gb, judge, baselineName, seed });
    process.stderr.write(`poet winrate: judged ${w.n} prompts with ${judge.name} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const out = f["output-dir"];
    if (out !== undefined) {
      writeJsonLines(join(out, "generations.jsonl"), gm.rows.map((r) => r.row));
      writeJsonLines(join(out, "baseline_generations.jsonl"), gb.rows.map((r) => r.row));
      mergeWinRate(join(out, "winrates.json"), w);
    }
    process.stdout.write(f.json ? JSON.stringify(w) + "\n" : formatWinRate(w));
  },
};
