// Lays out the report page: one self-contained HTML document (inline CSS and SVG; no scripts, no external URLs)
// with a summary table of the runs, the charts by section with how to read each, and any reading problems.
// Does not render charts (render.ts) or read runs (load-run.ts).
import type { WinRate } from "../types.js";
import type { Chart, Section } from "./charts.js";
import type { RunData } from "./load-run.js";

export interface RenderedChart {
  chart: Chart;
  /** Inline SVG, ids already scoped to the chart. */
  svg: string;
}

const SECTIONS: { [S in Section]: string } = {
  Training: "Curves from each run's log.jsonl, as poet train writes it (TRL's metric names). Rewards are the implicit reward of the run's loss: beta * (log pi - log ref) for DPO-style losses, beta * the mean log-prob for SimPO.",
  "Win rates": "From each run's winrates.json (poet winrate): the run's generations against a baseline's on held-out prompts, judged prompt by prompt.",
  "Reward-generation gap": "After the POET paper (arXiv 2506.09457): preference optimisation rewards whole responses, but generation quality is decided mostly by the first tokens. These views show where the reward lives along a response (analysis.json, poet analyze) and how chosen reward and margin moved during training (log.jsonl).",
};

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fmt = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? "" : x.toFixed(digits));
const last = <T>(xs: readonly T[]): T | undefined => xs[xs.length - 1];

function winCell(ws: readonly WinRate[], lc: boolean): string {
  return ws.map((w) => {
    const v = lc ? w.lc_win_rate : w.win_rate, lo = lc ? w.lc_ci_low : w.ci_low, hi = lc ? w.lc_ci_high : w.ci_high;
    if (!Number.isFinite(v)) return "";
    const ci = lo !== undefined && hi !== undefined && Number.isFinite(lo) && Number.isFinite(hi) ? ` [${fmt(lo)}, ${fmt(hi)}]` : "";
    return `<div>${fmt(v)}${ci} <span class="dim">${esc(w.judge)} vs ${esc(w.baseline)}</span></div>`;
  }).join("");
}

/** The summary table: one row per run. */
export function summaryTable(runs: readonly RunData[]): string {
  const head = ["run", "steps", "final loss", "eval accuracy", "eval margin", "win rate [95% CI]", "LC win rate [95% CI]", "mean reward (baseline)", "mean length (baseline)"];
  const rows = runs.map((r) => {
    const t = last(r.train), e = last(r.evals), res = r.results ?? {};
    const steps = t?.step ?? res.global_step;
    const lines = (f: (w: WinRate) => string) => r.winrates.map((w) => `<div>${f(w)}</div>`).join("");
    const cells = [
      `<span title="${esc(r.dir)}">${esc(r.name)}</span>`,
      steps === undefined ? "" : String(steps),
      fmt(t?.loss ?? res.loss, 4),
      fmt(e?.["eval_rewards/accuracies"] ?? res["eval_rewards/accuracies"]),
      fmt(e?.["eval_rewards/margins"] ?? res["eval_rewards/margins"], 4),
      winCell(r.winrates, false),
      winCell(r.winrates, true),
      lines((w) => (w.mean_reward === undefined ? "" : `${fmt(w.mean_reward)} (${fmt(w.mean_reward_baseline)})`)),
      lines((w) => `${fmt(w.mean_length, 1)} (${fmt(w.mean_length_baseline, 1)})`),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`;
  });
  return `<table class="summary"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody></table>`;
}

/** The whole page. */
export function reportHtml(title: string, runs: readonly RunData[], charts: readonly RenderedChart[], generated: Date,
  intro?: { heading: string; html: string }): string {
  const sections = (Object.keys(SECTIONS) as Section[]).map((s) => {
    const mine = charts.filter((c) => c.chart.section === s);
    if (mine.length === 0) return "";
    const figs = mine.map(({ chart, svg }) =>
      `<figure id="${esc(chart.id)}">\n<h3>${esc(chart.title)}</h3>\n<div class="chart">${svg}</div>\n<figcaption>${esc(chart.caption)}</figcaption>\n</figure>`);
    return `<section>\n<h2>${esc(s)}</h2>\n<p class="lead">${esc(SECTIONS[s])}</p>\n${figs.join("\n")}\n</section>`;
  });
  const warnings = runs.flatMap((r) => r.warnings.map((w) => `<li>${esc(w)}</li>`));
  const missing = charts.length === 0 ? `<p>No run has data to plot: train (log.jsonl), poet winrate (winrates.json) or poet analyze (analysis.json) first.</p>` : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; } h3 { font-size: 1.05em; margin: 0 0 .4em; }
table.summary { border-collapse: collapse; font-size: .9em; width: 100%; }
table.summary th, table.summary td { border: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
table.summary th { background: #f4f4f4; }
.dim { color: #777; font-size: .85em; }
.lead { color: #444; }
figure { margin: 1.5em 0; }
.chart svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: .9em; max-width: 60em; }
ul.runs code { font-size: .9em; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="dim">${runs.length} run(s), generated ${esc(generated.toISOString())} by poet report.</p>
${intro ? `<section id="intro">\n<h2>${esc(intro.heading)}</h2>\n${intro.html}\n</section>` : ""}
<ul class="runs">${runs.map((r) => `<li><b>${esc(r.name)}</b>: <code>${esc(r.dir)}</code></li>`).join("")}</ul>
<h2>Summary</h2>
<p class="lead">Last logged training step and loss; the last evaluation's reward accuracy and margin; win rates per judge and baseline with their 95% intervals; the judge's mean score and the mean generation length (tokens), the baseline's in parentheses.</p>
${summaryTable(runs)}
${missing}
${sections.filter((s) => s !== "").join("\n")}
${warnings.length ? `<section>\n<h2>Problems reading the runs</h2>\n<ul>${warnings.join("")}</ul>\n</section>` : ""}
</body>
</html>
`;
}
