// `poet report RUN_DIR...`: one self-contained report.html comparing runs, with PNG copies of its charts.
import { parseArgs } from "node:util";
import { writeReport } from "../eval/report/index.js";
import { parseFlags, type Command } from "./command.js";

const help = `poet report: one self-contained HTML report of one or more runs, side by side

Usage: poet report RUN_DIR... [--output FILE] [--png-dir DIR] [--title T] [--json]

Reads from each RUN_DIR whatever it holds (every file is optional):
  log.jsonl, train_results.json   poet train: loss, eval loss, reward margins and accuracies by step
  winrates.json                   poet winrate: win rates and length-controlled win rates with 95% intervals
  analysis.json                   poet analyze: the reward-generation gap (per-position cross-entropy, implicit
                                  reward by prefix length, quality of prefixes)
and writes a summary table of the runs and Vega-Lite charts rendered to inline SVG (no scripts, no external
files: the page opens offline and can be mailed), with a note on how to read each chart. Every chart is also
written as a PNG, for terminals and slides.

Options:
  --output FILE    the HTML file (default report.html)
  --png-dir DIR    where the PNGs go (default report-png/ beside --output)
  --title T        page title (default "poet report")
  --json           print what was written as JSON

Examples:
  poet report runs/dpo runs/dpo-poet --output report.html
  poet report runs/simpo-poet --output out/simpo.html --png-dir out/png --title "SimPO + POET"
`;

const OPTIONS = { output: { type: "string" }, "png-dir": { type: "string" }, title: { type: "string" }, json: { type: "boolean" } } as const;

/** Run directories (the positionals) apart from the flags, which parseFlags checks as every command's are. */
function splitArgs(argv: string[]): { dirs: string[]; flags: string[] } {
  const { tokens } = parseArgs({ args: argv, options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const positional = new Set(tokens.filter((t) => t.kind === "positional").map((t) => t.index));
  const terminator = tokens.find((t) => t.kind === "option-terminator")?.index;
  return {
    dirs: argv.filter((_, i) => positional.has(i)),
    flags: argv.filter((_, i) => !positional.has(i) && i !== terminator),
  };
}

export const reportCommand: Command = {
  name: "report",
  summary: "one self-contained report.html (curves, reward margins, win rates, gap analysis) of runs side by side",
  help,
  async run(argv) {
    const { dirs, flags } = splitArgs(argv);
    const f = parseFlags("report", flags, OPTIONS);
    const output = f.output ?? "report.html";
    const r = await writeReport(dirs, { output, ...(f["png-dir"] ? { pngDir: f["png-dir"] } : {}), ...(f.title ? { title: f.title } : {}) });
    for (const w of r.warnings) process.stderr.write(`poet report: warning: ${w}\n`);
    if (f.json) process.stdout.write(JSON.stringify(r) + "\n");
    else process.stderr.write(`poet report: ${dirs.length} run(s), ${r.charts.length} charts -> ${r.output} (PNGs: ${r.pngs.length ? r.pngs[0]!.replace(/[^/\\]+$/, "") : "none"})\n`);
  },
};
