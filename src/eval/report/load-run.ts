// Reads what a run directory holds for the report: the training log (train and eval lines of log.jsonl),
// train_results.json, winrates.json and analysis.json. Every file is optional (a run may have been evaluated but
// not trained here, or trained but not evaluated); damaged lines are skipped with a warning, not fatal.
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { UserError, at } from "../../errors.js";
import type { GapAnalysis, WinRate } from "../types.js";

/** One line of log.jsonl: a step number and numeric metrics (TRL's names; eval lines carry the eval_ prefix). */
export interface LogLine {
  step: number;
  [metric: string]: number;
}

export interface RunData {
  /** How the report names the run (the directory's name, or its path when names collide). */
  name: string;
  dir: string;
  /** Training lines of log.jsonl (those with `loss`), one per step (the last one wins after a resume). */
  train: LogLine[];
  /** Evaluation lines of log.jsonl (those with `eval_loss`), one per step. */
  evals: LogLine[];
  /** train_results.json, or null. */
  results: Record<string, number> | null;
  winrates: WinRate[];
  analysis: GapAnalysis | null;
  /** Problems met while reading (damaged lines, unreadable files), shown in the report. */
  warnings: string[];
}

const FILES = ["log.jsonl", "train_results.json", "winrates.json", "analysis.json"] as const;

function readJson(file: string, warnings: string[]): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    warnings.push(`${file}: not valid JSON (${(e as Error).message}); ignored`);
    return undefined;
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function numericFields(x: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(x)) if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  return out;
}

/** The train and eval lines of a log.jsonl, deduplicated by step and sorted. */
export function parseLog(text: string, file: string, warnings: string[]): { train: LogLine[]; evals: LogLine[] } {
  const train = new Map<number, LogLine>(), evals = new Map<number, LogLine>();
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let x: unknown;
    try {
      x = JSON.parse(line);
    } catch {
      warnings.push(`${at(file, i + 1)}: not a JSON line; skipped`);
      return;
    }
    if (!isRecord(x) || typeof x.step !== "number") {
      warnings.push(`${at(file, i + 1)}: no numeric "step"; skipped`);
      return;
    }
    const entry = { ...numericFields(x), step: x.step } as LogLine;
    if ("eval_loss" in entry) evals.set(entry.step, entry);
    else if ("loss" in entry) train.set(entry.step, entry);
  });
  const sorted = (m: Map<number, LogLine>) => [...m.values()].sort((a, b) => a.step - b.step);
  return { train: sorted(train), evals: sorted(evals) };
}

function winRatesOf(x: unknown, file: string, warnings: string[]): WinRate[] {
  if (x === undefined) return [];
  if (!Array.isArray(x)) {
    warnings.push(`${file}: expected a list of win-rate entries; ignored`);
    return [];
  }
  return x.filter((w, i) => {
    const ok = isRecord(w) && typeof w.judge === "string" && typeof w.win_rate === "number";
    if (!ok) warnings.push(`${file}: entry ${i} has no judge or win_rate; skipped`);
    return ok;
  }) as WinRate[];
}

function analysisOf(x: unknown, file: string, warnings: string[]): GapAnalysis | null {
  if (x === undefined) return null;
  if (!isRecord(x)) {
    warnings.push(`${file}: expected an object; ignored`);
    return null;
  }
  const list = (k: string) => (Array.isArray(x[k]) ? (x[k] as unknown[]).filter(isRecord) : []);
  return {
    per_position_ce: list("per_position_ce") as GapAnalysis["per_position_ce"],
    reward_by_prefix: list("reward_by_prefix") as GapAnalysis["reward_by_prefix"],
    prefix_quality: list("prefix_quality") as GapAnalysis["prefix_quality"],
    ...(isRecord(x.meta) ? { meta: x.meta as unknown as NonNullable<GapAnalysis["meta"]> } : {}),
  };
}

/** Reads one run directory; UserError when it is missing or holds none of the files a report can use. */
export function loadRun(dir: string, name = basename(resolve(dir))): RunData {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: no such run directory`);
  if (!FILES.some((f) => existsSync(join(dir, f))))
    throw new UserError(`${dir}: nothing to report: a run directory holds ${FILES.join(", ")} (poet train writes the first two, poet winrate and poet analyze the others)`);
  const warnings: string[] = [];
  const logFile = join(dir, "log.jsonl");
  const log = existsSync(logFile) ? parseLog(readFileSync(logFile, "utf8"), logFile, warnings) : { train: [], evals: [] };
  const res = readJson(join(dir, "train_results.json"), warnings);
  const wf = join(dir, "winrates.json"), af = join(dir, "analysis.json");
  return {
    name, dir, ...log,
    results: isRecord(res) ? numericFields(res) : null,
    winrates: winRatesOf(readJson(wf, warnings), wf, warnings),
    analysis: analysisOf(readJson(af, warnings), af, warnings),
    warnings,
  };
}

/** Reads several runs, naming each by its directory's name unless two share one (then by the path given). */
export function loadRuns(dirs: readonly string[]): RunData[] {
  const names = dirs.map((d) => basename(resolve(d)));
  return dirs.map((d, i) => loadRun(d, names.filter((n) => n === names[i]).length > 1 ? d : names[i]));
}
