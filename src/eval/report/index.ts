// `writeReport`: run directories in, one self-contained report.html (and a PNG per chart) out. The library entry of
// `poet report` and of the demo; reading, charting, rendering and layout live in the files beside it.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../../errors.js";
import { buildCharts } from "./charts.js";
import { reportHtml, type RenderedChart } from "./html.js";
import { loadRuns } from "./load-run.js";
import { renderSvg, scopeSvgIds, svgToPng } from "./render.js";
import { writeFileAtomic } from "../../atomic-write.js";

export interface ReportOptions {
  /** The HTML file to write (atomically). */
  output: string;
  /** Where the PNG copies of the charts go; default: report-png/ beside the output. */
  pngDir?: string;
  /** Page title; default "poet report". */
  title?: string;
  /** A section put first, before the per-run summary (the demo's pooled results); html is trusted, as written. */
  intro?: { heading: string; html: string };
}

export interface ReportResult {
  output: string;
  /** One PNG per chart, in report order. */
  pngs: string[];
  /** Chart ids, in report order. */
  charts: string[];
  /** Problems met reading the runs (also listed in the page). */
  warnings: string[];
}

export async function writeReport(runDirs: readonly string[], o: ReportOptions): Promise<ReportResult> {
  if (runDirs.length === 0) throw new UserError("poet report: give at least one run directory");
  const runs = loadRuns(runDirs);
  const charts = buildCharts(runs);
  const rendered: RenderedChart[] = [];
  for (const chart of charts) rendered.push({ chart, svg: await renderSvg(chart.spec) });

  const pngDir = o.pngDir ?? join(dirname(o.output), "report-png");
  mkdirSync(pngDir, { recursive: true }); // there even when no run has anything to plot
  const pngs = rendered.map(({ chart, svg }) => {
    const file = join(pngDir, `${chart.id}.png`);
    writeFileAtomic(file, svgToPng(svg));
    return file;
  });

  const page = reportHtml(o.title ?? "poet report", runs,
    rendered.map(({ chart, svg }) => ({ chart, svg: scopeSvgIds(svg, `${chart.id}-`) })), new Date(), o.intro);
  writeFileAtomic(o.output, page);
  return { output: o.output, pngs, charts: charts.map((c) => c.id), warnings: runs.flatMap((r) => r.warnings) };
}

export { buildCharts, type Chart } from "./charts.js";
export { loadRun, loadRuns, type RunData } from "./load-run.js";
export { renderSvg, svgToPng } from "./render.js";
