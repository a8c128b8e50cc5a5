// Synthetic run directories for the report tests: what poet train (log.jsonl with train and eval lines),
// poet winrate (winrates.json) and poet analyze (analysis.json) write, with numbers that differ between runs.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GapAnalysis, WinRate } from "../src/eval/types.js";

/** A full run: 20 logged steps, an eval every 5, one win-rate entry per judge, and a gap analysis. `s` scales it. */
export function writeFullRun(dir: string, s: number, judges: readonly string[] = ["lexicon"]): void {
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (let step = 1; step <= 20; step++) {
    const margin = 0.05 * s * step;
    lines.push(JSON.stringify({
      step, epoch: step / 10, loss: Math.log(2) - 0.01 * s * step, "rewards/chosen": -0.01 * step, "rewards/rejected": -0.01 * step - margin,
      "rewards/accuracies": Math.min(1, 0.5 + 0.02 * s * step), "rewards/margins": margin, "logps/chosen": -50, "logps/rejected": -60,
      grad_norm: 1.5, learning_rate: 5e-6, tokens_per_second: 900,
    }));
    if (step % 5 === 0)
      lines.push(JSON.stringify({ step, epoch: step / 10, eval_loss: Math.log(2) - 0.004 * s * step, "eval_rewards/accuracies": 0.5 + 0.01 * s * step, "eval_rewards/margins": margin / 2, "eval_rewards/chosen": -0.02 * step }));
  }
  writeFileSync(join(dir, "log.jsonl"), lines.join("\n") + "\n");
  writeFileSync(join(dir, "train_results.json"), JSON.stringify({ global_step: 20, loss: Math.log(2) - 0.2 * s }));
  const wr: WinRate[] = judges.map((judge, j) => ({
    judge, baseline: "examples/tiny-gpt2", n: 100, win_rate: 0.5 + 0.1 * s - 0.05 * j, ci_low: 0.42 + 0.1 * s - 0.05 * j, ci_high: 0.58 + 0.1 * s - 0.05 * j,
    lc_win_rate: 0.5 + 0.06 * s, lc_ci_low: 0.4 + 0.06 * s, lc_ci_high: 0.6 + 0.06 * s, mean_reward: 0.1 * s, mean_reward_baseline: 0.05,
    mean_length: 30 + s, mean_length_baseline: 28,
  }));
  writeFileSync(join(dir, "winrates.json"), JSON.stringify(wr, null, 2));
  const analysis: GapAnalysis = {
    per_position_ce: Array.from({ length: 24 }, (_, t) => ({ position: t, chosen: 3 + 2 / (1 + t) - 0.1 * s, rejected: 3.2 + 2 / (1 + t), count: 24 - t })),
    reward_by_prefix: [1, 2, 4, 8, 16, 32].map((k) => ({ k, margin: 0.1 * s * Math.log2(k + 1), accuracy: Math.min(1, 0.5 + 0.05 * s * Math.log2(k + 1)), pairs: 16 })),
    prefix_quality: [0, 2, 4, 8, 16].map((k) => ({ k, score: 0.1 + 0.2 * s * (1 - Math.exp(-k / 3)), n: 16 })),
  };
  writeFileSync(join(dir, "analysis.json"), JSON.stringify(analysis, null, 2));
}
