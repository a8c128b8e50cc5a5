// The report's charts as Vega-Lite specs, built from loaded runs: training curves, win rates and the
// reward-generation-gap views. Every chart shows all runs together, each run (each method, for seeded runs) in one colour everywhere. A chart
// whose data no run has is left out. Specs only: rendering is render.ts's, the page html.ts's.
import type { TopLevelSpec } from "vega-lite";
import type { RunData } from "./load-run.js";

export type Section = "Training" | "Win rates" | "Reward-generation gap";

export interface Chart {
  /** Stable name (PNG file name, HTML id). */
  id: string;
  title: string;
  section: Section;
  /** How to read it, in a sentence or two. */
  caption: string;
  spec: TopLevelSpec;
}

type Row = Record<string, string | number>;

const WIDTH = 420, HEIGHT = 240, FACET_WIDTH = 300;
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** The method a run belongs to: its name without a trailing "-seedN" (the demo's runs are "<method>-seed<N>"). */
export const groupOf = (run: string) => run.replace(/-seed\d+$/, "");

/**
 * The colour channel, with a fixed domain so that every chart gives a run the same colour. When runs are seeds of
 * the same methods ("dpo-seed1", "dpo-seed2", ...), colour is by method, every run still its own line (`detail`);
 * else by run. tableau20 past 10 colours, so that none repeats up to 20.
 */
// Line styles (train/eval, chosen/rejected) have no legend: Vega-Lite draws line+point legend symbols filled, which
// hides their dashes; the chart titles say which is which.
const runColor = (runs: readonly RunData[]) => {
  const groups = [...new Set(runs.map((r) => groupOf(r.name)))];
  const grouped = groups.length < runs.length;
  const domain = grouped ? groups : runs.map((r) => r.name);
  return {
    field: grouped ? "group" : "run", type: "nominal", title: grouped ? "method" : "run",
    scale: { domain, scheme: domain.length <= 10 ? "tableau10" : "tableau20" },
  } as const;
};

function base(title: string, rows: Row[]) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title, data: { values: rows.map((r) => (typeof r.run === "string" ? { ...r, group: groupOf(r.run) } : r)) }, background: "white",
    config: { font: FONT, view: { stroke: "#ddd" }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelLimit: 260 } },
  };
}

function lossChart(runs: readonly RunData[]): Chart | null {
  const rows: Row[] = [];
  for (const r of runs) {
    for (const x of r.train) if (finite(x.loss)) rows.push({ run: r.name, step: x.step, split: "train", loss: x.loss });
    for (const x of r.evals) if (finite(x.eval_loss)) rows.push({ run: r.name, step: x.step, split: "eval", loss: x.eval_loss });
  }
  if (rows.length === 0) return null;
  return {
    id: "loss", title: "Loss", section: "Training",
    caption: "Preference loss against optimizer step: solid lines are the training loss (averaged over each logging window), dashed lines the held-out eval loss. A train loss that keeps falling while the eval loss rises is overfitting.",
    spec: {
      ...base("Loss (train solid, eval dashed)", rows), width: WIDTH, height: HEIGHT,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "step", type: "quantitative", title: "step" },
        y: { field: "loss", type: "quantitative", title: "loss", scale: { zero: false } },
        color: runColor(runs),
        strokeDash: { field: "split", type: "nominal", title: "split", legend: null, scale: { domain: ["train", "eval"], range: [[1, 0], [5, 3]] } },
        detail: [{ field: "split" }, { field: "run" }],
      },
    },
  };
}

function rewardsChart(runs: readonly RunData[]): Chart | null {
  const rows: Row[] = [];
  const metrics = ["rewards/margins", "rewards/accuracies"] as const;
  for (const r of runs) for (const m of metrics) {
    for (const x of r.train) if (finite(x[m])) rows.push({ run: r.name, step: x.step, split: "train", metric: m, value: x[m] });
    for (const x of r.evals) if (finite(x[`eval_${m}`])) rows.push({ run: r.name, step: x.step, split: "eval", metric: m, value: x[`eval_${m}`]! });
  }
  if (rows.length === 0) return null;
  return {
    id: "rewards", title: "Reward margins and accuracies", section: "Training",
    caption: "The implicit reward's margin (chosen minus rejected) and accuracy (share of pairs where chosen out-scores rejected) against step; solid train, dashed eval. Margins grow as the policy moves away from the reference; accuracy near 1 on train but not on eval means memorised pairs.",
    spec: {
      ...base("Reward margins and accuracies (train solid, eval dashed)", rows),
      facet: { column: { field: "metric", type: "nominal", title: null, sort: [...metrics] } },
      spec: {
        width: FACET_WIDTH, height: HEIGHT,
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
          color: runColor(runs),
          strokeDash: { field: "split", type: "nominal", title: "split", legend: null, scale: { domain: ["train", "eval"], range: [[1, 0], [5, 3]] } },
          detail: [{ field: "split" }, { field: "run" }],
        },
      },
      resolve: { scale: { y: "independent" } },
    },
  };
}

function chosenVsMarginChart(runs: readonly RunData[]): Chart | null {
  const rows: Row[] = [];
  for (const r of runs) {
    const train = r.train.filter((x) => finite(x["rewards/chosen"]) && finite(x["rewards/margins"]));
    const lines = train.length ? train.map((x) => ({ step: x.step, c: x["rewards/chosen"]!, m: x["rewards/margins"]! }))
      : r.evals.filter((x) => finite(x["eval_rewards/chosen"]) && finite(x["eval_rewards/margins"]))
        .map((x) => ({ step: x.step, c: x["eval_rewards/chosen"]!, m: x["eval_rewards/margins"]! }));
    for (const x of lines) rows.push({ run: r.name, step: x.step, chosen: x.c, margin: x.m });
  }
  if (rows.length === 0) return null;
  return {
    id: "chosen-vs-margin", title: "Chosen reward against margin over training", section: "Reward-generation gap",
    caption: "Each point is a logged step (training lines; eval lines when a run has no training log), joined in step order. A curve that runs right and down means the margin grows while the chosen reward falls: the model separates the pairs by lowering the rejected answers faster than the chosen ones, not by making the chosen answers more likely - a reward that rises without better generations.",
    spec: {
      ...base("Chosen reward against margin (points in step order)", rows), width: WIDTH, height: HEIGHT,
      layer: [
        { mark: { type: "rule", strokeDash: [2, 2], color: "#999" }, encoding: { y: { datum: 0 } } },
        {
          mark: { type: "line", point: true },
          encoding: {
            x: { field: "margin", type: "quantitative", title: "rewards/margins" },
            y: { field: "chosen", type: "quantitative", title: "rewards/chosen" },
            order: { field: "step", type: "quantitative" },
            color: runColor(runs),
            detail: { field: "run" },
            tooltip: [{ field: "run" }, { field: "step" }, { field: "margin" }, { field: "chosen" }],
          },
        },
      ],
    },
  };
}

function winRateChart(runs: readonly RunData[], lc: boolean): Chart | null {
  const [v, lo, hi] = lc ? (["lc_win_rate", "lc_ci_low", "lc_ci_high"] as const) : (["win_rate", "ci_low", "ci_high"] as const);
  const rows: Row[] = [];
  for (const r of runs) for (const w of r.winrates) {
    if (!finite(w[v])) continue;
    const row: Row = { run: r.name, comparison: `${w.judge} vs ${w.baseline}`, value: w[v], n: w.n };
    if (finite(w[lo]) && finite(w[hi])) Object.assign(row, { low: w[lo], high: w[hi] });
    rows.push(row);
  }
  if (rows.length === 0) return null;
  const name = lc ? "Length-controlled win rate" : "Win rate";
  return {
    id: lc ? "lc-win-rate" : "win-rate", title: name, section: "Win rates",
    caption: lc
      ? "AlpacaEval 2's length-controlled win rate: the win rate with the effect of the length difference between the two answers regressed out, so a model cannot win by writing longer. Bars are its 95% bootstrap interval, where recorded."
      : "Share of held-out prompts on which the run's answer beats the baseline's under each judge (ties count half), with its 95% Wilson interval. The dotted line is 0.5 (no better than the baseline); an interval that crosses it is not a significant win.",
    spec: {
      ...base(`${name} with 95% interval`, rows),
      facet: { row: { field: "comparison", type: "nominal", title: null, header: { labelAngle: 0, labelAlign: "left", labelLimit: 400 } } },
      spec: {
        width: WIDTH, height: { step: 22 },
        layer: [
          { mark: { type: "rule", strokeDash: [2, 2], color: "#999" }, encoding: { x: { datum: 0.5 } } },
          {
            transform: [{ filter: "isValid(datum.low) && isValid(datum.high)" }],
            mark: { type: "rule", strokeWidth: 2 },
            encoding: { y: { field: "run", type: "nominal", title: null }, x: { field: "low", type: "quantitative" }, x2: { field: "high" }, color: runColor(runs) },
          },
          {
            mark: { type: "point", filled: true, size: 70 },
            encoding: {
              y: { field: "run", type: "nominal", title: null },
              x: { field: "value", type: "quantitative", title: lc ? "LC win rate" : "win rate", scale: { domain: [0, 1] } },
              color: runColor(runs),
              tooltip: [{ field: "run" }, { field: "comparison" }, { field: "value", format: ".3f" }, { field: "low", format: ".3f" }, { field: "high", format: ".3f" }, { field: "n" }],
            },
          },
        ],
      },
    },
  };
}

function perPositionChart(runs: readonly RunData[]): Chart | null {
  const rows: Row[] = [];
  for (const r of runs) for (const x of r.analysis?.per_position_ce ?? []) {
    if (finite(x.chosen)) rows.push({ run: r.name, position: x.position, response: "chosen", ce: x.chosen });
    if (finite(x.rejected)) rows.push({ run: r.name, position: x.position, response: "rejected", ce: x.rejected });
  }
  if (rows.length === 0) return null;
  return {
    id: "per-position-ce", title: "Cross-entropy by response position", section: "Reward-generation gap",
    caption: "Mean -log p (nats) of the chosen (solid) and rejected (dashed) response tokens at each position. The implicit reward sums over every position, but what a model generates is steered most by the first ones (the POET paper's argument): compare runs at the early positions, where chosen should become more likely than rejected.",
    spec: {
      ...base("Per-position cross-entropy (chosen solid, rejected dashed)", rows), width: WIDTH, height: HEIGHT,
      mark: { type: "line", point: { size: 12 } },
      encoding: {
        x: { field: "position", type: "quantitative", title: "response token position" },
        y: { field: "ce", type: "quantitative", title: "cross-entropy (nats)", scale: { zero: false } },
        color: runColor(runs),
        strokeDash: { field: "response", type: "nominal", title: "response", legend: null, scale: { domain: ["chosen", "rejected"], range: [[1, 0], [5, 3]] } },
        detail: [{ field: "response" }, { field: "run" }],
      },
    },
  };
}

function rewardByPrefixChart(runs: readonly RunData[]): Chart | null {
  const rows: Row[] = [];
  for (const r of runs) for (const x of r.analysis?.reward_by_prefix ?? []) {
    if (!(x.k > 0)) continue;
    if (finite(x.margin)) rows.push({ run: r.name, k: x.k, metric: "margin", value: x.margin });
    if (finite(x.accuracy)) rows.push({ run: r.name, k: x.k, metric: "accuracy", value: x.accuracy });
  }
  if (rows.length === 0) return null;
  return {
    id: "reward-by-prefix", title: "Implicit reward by prefix length", section: "Reward-generation gap",
    caption: "Both responses of each pair cut to their first k tokens, the implicit reward's mean margin and accuracy. If accuracy is already high at small k, the reward is decided by the first tokens - the part of a response that generation depends on most.",
    spec: {
      ...base("Implicit reward of the first k tokens", rows),
      facet: { column: { field: "metric", type: "nominal", title: null, sort: ["margin", "accuracy"] } },
      spec: {
        width: FACET_WIDTH, height: HEIGHT,
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "k", type: "quantitative", title: "prefix length k (tokens)", scale: { type: "log", base: 2 } },
          y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
          color: runColor(runs),
          detail: { field: "run" },
        },
      },
      resolve: { scale: { y: "independent" } },
    },
  };
}

function prefixQualityChart(runs: readonly RunData[]): Chart | null {
  const rows: Row[] = [];
  for (const r of runs) for (const x of r.analysis?.prefix_quality ?? [])
    if (finite(x.score)) rows.push({ run: r.name, k: x.k, score: x.score, n: x.n, judge: r.analysis?.meta?.judge ?? "judge" });
  if (rows.length === 0) return null;
  return {
    id: "prefix-quality", title: "Quality of prefixes", section: "Reward-generation gap",
    caption: "The run's model writes the first k tokens of an answer, the reference model the rest; the judge scores the whole (k = 0: the reference alone). A curve that reaches the model's own level at small k means the first tokens decide the quality of what is generated.",
    spec: {
      ...base("Judge score after k tokens from the model", rows), width: WIDTH, height: HEIGHT,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "k", type: "quantitative", title: "tokens from the model k", scale: { type: "symlog" } },
        y: { field: "score", type: "quantitative", title: "mean judge score", scale: { zero: false } },
        color: runColor(runs),
        detail: { field: "run" },
        tooltip: [{ field: "run" }, { field: "k" }, { field: "score", format: ".3f" }, { field: "n" }, { field: "judge" }],
      },
    },
  };
}

/** Every chart the runs have data for, in report order. */
export function buildCharts(runs: readonly RunData[]): Chart[] {
  const all = [
    lossChart(runs), rewardsChart(runs), winRateChart(runs, false), winRateChart(runs, true),
    chosenVsMarginChart(runs), perPositionChart(runs), rewardByPrefixChart(runs), prefixQualityChart(runs),
  ];
  return all.filter((c): c is Chart => c !== null);
}
