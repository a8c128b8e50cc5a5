// Win rates of generations under a judge, and the files around them: generation files as `poet generate` writes
// them, the judge's view of each prompt as text, and RUN_DIR/winrates.json (one entry per judge and baseline).
// The statistics are in winrate.ts; generating is generate.ts's; this file joins them for the CLI and the demo.
import { existsSync, readFileSync } from "node:fs";
import type { ChatMessage } from "../data/chat-template.js";
import { extractImplicitPrompt, jsonEqual } from "../data/implicit-prompt.js";
import { readRows, type RawRow } from "../data/rows.js";
import type { PoetTokenizer } from "../data/tokenizer.js";
import { getBackend } from "../engine/backend.js";
import { UserError, at } from "../errors.js";
import { loadModel } from "../models/load.js";
import { generate, type GenerateOptions } from "./generate.js";
import { LlmJudge } from "./judges/llm.js";
import { readPrompts } from "./prompts.js";
import type { Judge } from "./judges/types.js";
import type { WinRate } from "./types.js";
import { preferencesFromScores, winRate } from "./winrate.js";
import { writeFileAtomic } from "../atomic-write.js";

/** One side's generations: the text the judge reads, and the length in tokens the LC win rate controls for. */
export interface Generations {
  texts: readonly string[];
  lengths: readonly number[];
}

export interface CompareInput {
  /** The prompt of each generation, as text (promptText). */
  prompts: readonly string[];
  model: Generations;
  baseline: Generations;
  judge: Judge;
  /** How winrates.json names the baseline (its model directory, or a name). */
  baselineName: string;
  /** Seed and resamples of the LC bootstrap (defaults of winrate.ts). */
  seed?: number;
  resamples?: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Judges the model's generations against the baseline's, prompt by prompt, and returns the WinRate entry. A
 * pointwise judge scores both sides (mean rewards are recorded); a pairwise judge compares them (its unparsable
 * answers, counted as ties, are recorded for LLM judges).
 */
export async function compareGenerations(x: CompareInput): Promise<WinRate> {
  const n = x.prompts.length;
  for (const [side, g] of [["model", x.model], ["baseline", x.baseline]] as const)
    if (g.texts.length !== n || g.lengths.length !== n)
      throw new UserError(`${n} prompts but ${g.texts.length} ${side} generations (${g.lengths.length} lengths): both sides need one generation per prompt`);
  const meta = { judge: x.judge.name, baseline: x.baselineName, ...(x.seed !== undefined ? { seed: x.seed } : {}), ...(x.resamples !== undefined ? { resamples: x.resamples } : {}) };
  if (x.judge.score) {
    const s = await x.judge.score(x.prompts, x.model.texts), sb = await x.judge.score(x.prompts, x.baseline.texts);
    return winRate(preferencesFromScores(s, sb), x.model.lengths, x.baseline.lengths, { ...meta, meanReward: mean(s), meanRewardBaseline: mean(sb) });
  }
  if (x.judge.compare) {
    const before = x.judge instanceof LlmJudge ? x.judge.stats.unparsed : 0;
    const prefs = await x.judge.compare(x.prompts, x.model.texts, x.baseline.texts);
    const unparsed = x.judge instanceof LlmJudge ? { unparsed: x.judge.stats.unparsed - before } : {};
    return winRate(prefs, x.model.lengths, x.baseline.lengths, { ...meta, ...unparsed });
  }
  throw new Error(`judge ${x.judge.name} has neither score nor compare`);
}

const isMessages = (x: unknown): x is ChatMessage[] =>
  Array.isArray(x) && x.length > 0 && x.every((m) => typeof m === "object" && m !== null && typeof m.role === "string" && typeof m.content === "string");

const renderMessages = (ms: readonly ChatMessage[]) => (ms.length === 1 && ms[0]!.role === "user" ? ms[0]!.content : ms.map((m) => `${m.role}: ${m.content}`).join("\n"));

/**
 * The prompt of a row as the judge reads it: a prompt string as is; a message list (or the prompt turns that
 * chosen/rejected share) as its lone user message, else "role: content" lines; prompt_input_ids decoded with
 * the tokenizer (special tokens skipped).
 */
export function promptText(r: RawRow, tokenizer: PoetTokenizer | null): string {
  const { row, source } = r;
  if (typeof row.prompt === "string") return row.prompt;
  if (isMessages(row.prompt)) return renderMessages(row.prompt);
  if (isMessages(row.chosen) && isMessages(row.rejected)) return renderMessages(extractImplicitPrompt(row.chosen, row.rejected, jsonEqual).prompt);
  if (Array.isArray(row.prompt_input_ids) && row.prompt_input_ids.every(Number.isInteger)) {
    if (!tokenizer) throw new UserError(`${at(source.file, source.line)}: the prompt is only token ids and no tokenizer is at hand to show it to the judge as text; give a prompt string or --model DIR with a tokenizer`);
    return tokenizer.decode(row.prompt_input_ids as number[], { skipSpecialTokens: true });
  }
  throw new UserError(`${at(source.file, source.line)}: no prompt: a row needs a prompt string, a prompt message list, chosen/rejected message lists, or prompt_input_ids`);
}

/** A generation file's rows with their completion text and length in tokens. */
export interface GenerationFile extends Generations {
  rows: RawRow[];
}

/**
 * Generates a completion for every prompt of `dataFile` with the model in `modelDir`: rows as `poet generate`
 * writes them (the input row plus completion_input_ids and completion). The model needs a tokenizer, since judges
 * read text. The model is released when this returns.
 */
export async function generateFor(modelDir: string, dataFile: string, opt: Omit<GenerateOptions, "eosIds">): Promise<GenerationFile & { tokenizer: PoetTokenizer }> {
  const model = loadModel(modelDir, getBackend());
  const ps = await readPrompts(dataFile, modelDir, model.vocabSize);
  if (!ps.tokenizer) throw new UserError(`${modelDir}: no tokenizer.json: judges read text, so the model needs its tokenizer to decode generations`);
  const tok = ps.tokenizer;
  const ids = generate(model, ps.promptIds, { ...opt, eosIds: ps.eosIds });
  const texts = ids.map((g) => tok.decode(g, { skipSpecialTokens: true }));
  const rows = ps.rows.map((r, i) => ({ row: { ...r.row, completion_input_ids: ids[i]!, completion: texts[i]! }, source: r.source }));
  return { rows, texts, lengths: ids.map((g) => g.length), tokenizer: tok };
}

/** Reads a file `poet generate` wrote: every row needs `completion` (text) and `completion_input_ids` (its tokens). */
export async function readGenerations(file: string): Promise<GenerationFile> {
  const rows = await readRows(file);
  const texts: string[] = [], lengths: number[] = [];
  for (const { row, source } of rows) {
    const where = at(source.file, source.line);
    if (typeof row.completion !== "string")
      throw new UserError(`${where}: no "completion" text: give rows as poet generate writes them (run it with a model that has a tokenizer)`);
    if (!Array.isArray(row.completion_input_ids) || !row.completion_input_ids.every(Number.isInteger))
      throw new UserError(`${where}: no "completion_input_ids" list: the length-controlled win rate needs each completion's length in tokens; give rows as poet generate writes them`);
    texts.push(row.completion);
    lengths.push(row.completion_input_ids.length);
  }
  return { rows, texts, lengths };
}

/**
 * Merges an entry into a winrates.json (a list of WinRate): an entry with the same judge and baseline is replaced,
 * others are kept in order. Returns the list written.
 */
export function mergeWinRate(file: string, entry: WinRate): WinRate[] {
  let list: WinRate[] = [];
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new UserError(`${file}: not valid JSON (${(e as Error).message}); fix or delete it`);
    }
    if (!Array.isArray(parsed)) throw new UserError(`${file}: expected a list of win-rate entries; fix or delete it`);
    list = parsed as WinRate[];
  }
  const i = list.findIndex((w) => w.judge === entry.judge && w.baseline === entry.baseline);
  if (i >= 0) list[i] = entry;
  else list.push(entry);
  writeFileAtomic(file, JSON.stringify(list, null, 2) + "\n");
  return list;
}
