// Checkpoints: OUT/checkpoint-N/ holds the model (Hugging Face layout), the optimizer moments, and the trainer
// state (step, data position, seed, schedule). Written into a hidden temporary directory and renamed into place,
// so a kill at any moment leaves only complete checkpoints. `latest` is the highest complete N.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { UserError } from "../errors.js";
import type { CausalLM } from "../models/model.js";
import { copyAuxiliaryFiles, saveModel } from "../models/load.js";
import { readSafetensors, writeSafetensors } from "../models/safetensors.js";
import type { AdamW } from "./adamw.js";

export interface TrainerState {
  /** Optimizer steps taken. */
  globalStep: number;
  /** Epoch the next micro-batch belongs to (0-based). */
  epoch: number;
  /** Micro-batches of that epoch already consumed. */
  batchInEpoch: number;
  totalSteps: number;
  seed: number;
  /** Tokens processed so far (for tokens/s across resumes). */
  tokensSeen: number;
}

const NAME = /^checkpoint-(\d+)$/;

export function checkpointDirs(outDir: string): { step: number; path: string }[] {
  if (!existsSync(outDir)) return [];
  return readdirSync(outDir)
    .map((n) => ({ m: NAME.exec(n), n }))
    .filter((x) => x.m && existsSync(join(outDir, x.n, "trainer_state.json")))
    .map((x) => ({ step: Number(x.m![1]), path: join(outDir, x.n) }))
    .sort((a, b) => a.step - b.step);
}

/** Removes a checkpoint atomically: renamed out of sight first, so a kill mid-delete leaves no half checkpoint. */
function discard(outDir: string, path: string): void {
  const trash = join(outDir, `.trash-${basename(path)}-${process.pid}`);
  renameSync(path, trash);
  rmSync(trash, { recursive: true, force: true });
}

/** Leftovers of killed runs: temporary and half-deleted directories (never complete checkpoints). */
function sweep(outDir: string): void {
  for (const n of readdirSync(outDir)) if (/^\.(tmp|trash)-checkpoint-/.test(n)) rmSync(join(outDir, n), { recursive: true, force: true });
}

export function saveCheckpoint(outDir: string, model: CausalLM, opt: AdamW, state: TrainerState, totalLimit: number, sourceDir: string): string {
  const final = join(outDir, `checkpoint-${state.globalStep}`);
  const tmp = join(outDir, `.tmp-checkpoint-${state.globalStep}-${process.pid}`);
  sweep(outDir);
  mkdirSync(tmp, { recursive: true });
  saveModel(model, tmp);
  copyAuxiliaryFiles(sourceDir, tmp);
  const names = new Map([...model.params].map(([n, p]) => [p.t, n]));
  const moments = [];
  for (const [t, m] of opt.m) moments.push({ name: `exp_avg.${names.get(t)}`, shape: [m.length], data: m });
  for (const [t, v] of opt.v) moments.push({ name: `exp_avg_sq.${names.get(t)}`, shape: [v.length], data: v });
  writeSafetensors(join(tmp, "optimizer.safetensors"), moments, { metadata: { step: String(opt.step) } });
  writeFileSync(join(tmp, "trainer_state.json"), JSON.stringify({ ...state, optimizer_step: opt.step }, null, 2) + "\n");
  if (existsSync(final)) discard(outDir, final);
  renameSync(tmp, final);
  if (totalLimit > 0) for (const old of checkpointDirs(outDir).slice(0, -totalLimit)) discard(outDir, old.path);
  return final;
}

/** Resolves `latest` (or a path) to a complete checkpoint directory. */
export function resolveCheckpoint(outDir: string, which: string): string {
  if (which === "latest") {
    const all = checkpointDirs(outDir);
    if (all.length === 0) throw new UserError(`--resume-from-checkpoint latest: no checkpoint-N/ in ${outDir}; run without it to start fresh`);
    return all[all.length - 1]!.path;
  }
  if (!existsSync(join(which, "trainer_state.json")))
    throw new UserError(`--resume-from-checkpoint ${which}: not a complete checkpoint (no trainer_state.json); use latest or a checkpoint-N/ directory`);
  return which;
}

export function loadTrainerState(dir: string): TrainerState & { optimizer_step: number } {
  return JSON.parse(readFileSync(join(dir, "trainer_state.json"), "utf8"));
}

export function loadOptimizer(dir: string, model: CausalLM, opt: AdamW, step: number): void {
  const t = readSafetensors(join(dir, "optimizer.safetensors"));
  for (const [name, p] of model.params) {
    const m = t.get(`exp_avg.${name}`), v = t.get(`exp_avg_sq.${name}`);
    if (!m || !v) continue;
    opt.m.set(p.t, model.backend.from(m.data));
    opt.v.set(p.t, model.backend.from(v.data));
  }
  opt.step = step;
}
