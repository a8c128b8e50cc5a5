// poet report: one self-contained HTML page with one inline SVG per chart and valid, non-blank PNG copies, from
// run directories holding any subset of log.jsonl, winrates.json and analysis.json.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { inflateSync } from "node:zlib";
import { reportCommand } from "../src/cli/report.js";
import { UserError } from "../src/errors.js";
import { buildCharts, loadRuns, writeReport } from "../src/eval/report/index.js";
import { parseLog } from "../src/eval/report/load-run.js";
import { svgToPng } from "../src/eval/report/render.js";
import { writeFullRun } from "./report-runs.js";

const ALL_CHARTS = ["loss", "rewards", "win-rate", "lc-win-rate", "chosen-vs-margin", "per-position-ce", "reward-by-prefix", "prefix-quality"];

/** Width, height and the share of pixels that are not white, of an 8-bit RGB(A) non-interlaced PNG. */
function pngStats(buf: Buffer): { width: number; height: number; inked: number } {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
  let off = 8, width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString("latin1", off + 4, off + 8), data = buf.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, "bit depth");
      channels = { 2: 3, 6: 4 }[data[9]!] ?? 0;
      assert.ok(channels > 0, `colour type ${data[9]}`);
      assert.equal(data[12], 0, "not interlaced");
    }
    if (type === "IDAT") idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat)), stride = width * channels;
  assert.equal(raw.length, height * (stride + 1));
  // undo the per-row filters (PNG spec sec. 9) to get pixels
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? px[y * stride + x - channels]! : 0, b = y > 0 ? px[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f]!;
      px[y * stride + x] = (v + pred) & 255;
    }
  }
  let inked = 0;
  for (let i = 0; i < px.length; i += channels) if (px[i]! < 200 || px[i + 1]! < 200 || px[i + 2]! < 200) inked++;
  return { width, height, inked: inked / (width * height) };
}

test("two full runs: every chart once as inline SVG, a self-contained page, non-blank PNGs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-report-"));
  writeFullRun(join(dir, "dpo"), 1);
  writeFullRun(join(dir, "dpo-poet"), 1.6, ["lexicon", "reward-model:rm"]);
  const out = join(dir, "out", "report.html");
  const r = await writeReport([join(dir, "dpo"), join(dir, "dpo-poet")], { output: out, title: "A <b>test</b>" });
  assert.deepEqual(r.charts, ALL_CHARTS);
  assert.deepEqual(r.warnings, []);
  const html = readFileSync(out, "utf8");
  assert.equal((html.match(/<svg[\s>]/g) ?? []).length, ALL_CHARTS.length);
  for (const id of ALL_CHARTS) assert.ok(html.includes(`<figure id="${id}">`), id);
  // self-contained: no scripts, stylesheets, frames or images fetched from anywhere
  assert.ok(!/<(script|link|iframe|img|object|embed)\b/i.test(html), "no external-resource elements");
  assert.ok(!/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i.test(html), "no src/href to a URL");
  assert.ok(!/url\(\s*["']?(https?:)?\/\//i.test(html), "no CSS url() to a URL");
  assert.ok(html.includes("<title>A &lt;b&gt;test&lt;/b&gt;</title>"), "title escaped");
  // SVG ids are scoped per chart, so inlined charts cannot collide
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
  assert.equal(new Set(ids).size, ids.length, "ids unique in the page");
  // summary table: win rate with its interval, per judge; final loss; eval accuracy of the last eval line
  assert.ok(html.includes("0.600 [0.520, 0.680]"), "dpo lexicon win rate and CI");
  assert.ok(html.includes("0.610 [0.530, 0.690]"), "dpo-poet reward-model win rate and CI");
  assert.ok(html.includes(`<td>${(Math.log(2) - 0.2).toFixed(4)}</td>`), "final loss of dpo");
  assert.ok(html.includes("<td>0.820</td>"), "eval accuracy of dpo-poet at step 20");

  assert.equal(r.pngs.length, ALL_CHARTS.length);
  for (const p of r.pngs) {
    assert.ok(p.startsWith(join(dir, "out", "report-png")), p);
    const s = pngStats(readFileSync(p));
    assert.ok(s.width >= 400 && s.height >= 150, `${p}: ${s.width}x${s.height}`);
    assert.ok(s.inked > 0.01 && s.inked < 0.6, `${p}: ${(100 * s.inked).toFixed(1)}% of pixels inked`);
  }
});

test("text renders in PNGs (a system font is found)", () => {
  const blank = pngStats(svgToPng(`<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="white"/></svg>`));
  const text = pngStats(svgToPng(`<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="white"/><text x="5" y="28" font-family="sans-serif" font-size="20">Reward margin</text></svg>`));
  assert.equal(blank.inked, 0);
  assert.ok(text.inked > 0.03, `text inked ${(100 * text.inked).toFixed(2)}% of pixels`);
});

test("runs with only part of the files: the charts they have data for, damaged lines reported", async () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-report-"));
  writeFullRun(join(dir, "full"), 1);
  const logOnly = join(dir, "log-only"), winOnly = join(dir, "win-only");
  writeFullRun(logOnly, 2);
  writeFullRun(winOnly, 3);
  writeFileSync(join(logOnly, "winrates.json"), "[]");
  writeFileSync(join(logOnly, "analysis.json"), "{ truncated");
  const log = readFileSync(join(logOnly, "log.jsonl"), "utf8");
  writeFileSync(join(logOnly, "log.jsonl"), log + `{"step": 21, "loss": 0.`);
  for (const f of ["log.jsonl", "train_results.json", "analysis.json"]) writeFileSync(join(winOnly, f), "");

  const onlyLog = await writeReport([logOnly], { output: join(dir, "a.html") });
  assert.deepEqual(onlyLog.charts, ["loss", "rewards", "chosen-vs-margin"]);
  assert.equal(onlyLog.warnings.length, 2, onlyLog.warnings.join("; "));
  assert.match(onlyLog.warnings.join("\n"), /log\.jsonl:25: not a JSON line/);
  assert.match(onlyLog.warnings.join("\n"), /analysis\.json: not valid JSON/);
  const html = readFileSync(join(dir, "a.html"), "utf8");
  assert.equal((html.match(/<svg[\s>]/g) ?? []).length, 3);
  assert.match(html, /Problems reading the runs/);

  const onlyWin = await writeReport([winOnly], { output: join(dir, "b.html"), pngDir: join(dir, "png-b") });
  assert.deepEqual(onlyWin.charts, ["win-rate", "lc-win-rate"]);
  assert.ok(onlyWin.pngs.every((p) => p.startsWith(join(dir, "png-b"))));

  const all = await writeReport([join(dir, "full"), logOnly, winOnly], { output: join(dir, "c.html") });
  assert.deepEqual(all.charts, ALL_CHARTS);
});

test("log.jsonl after a resume: one line per step, the last written wins; eval lines apart", () => {
  const text = [{ step: 1, loss: 0.7 }, { step: 2, loss: 0.6 }, { step: 2, eval_loss: 0.65 }, { step: 3, loss: 0.5 }, { step: 2, loss: 0.55 }, { step: 3, loss: 0.45 }]
    .map((x) => JSON.stringify(x)).join("\n");
  const w: string[] = [];
  const { train, evals } = parseLog(text, "log.jsonl", w);
  assert.deepEqual(train, [{ step: 1, loss: 0.7 }, { step: 2, loss: 0.55 }, { step: 3, loss: 0.45 }]);
  assert.deepEqual(evals, [{ step: 2, eval_loss: 0.65 }]);
  assert.deepEqual(w, []);
});

test("poet report CLI: run directories as positionals, flags checked, user errors for bad input", async () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-report-"));
  writeFullRun(join(dir, "r1"), 1);
  writeFullRun(join(dir, "r2"), 2);
  const out = join(dir, "rep", "index.html");
  await reportCommand.run([join(dir, "r1"), "--output", out, join(dir, "r2"), "--png-dir", join(dir, "png"), "--title", "two"]);
  const html = readFileSync(out, "utf8");
  assert.match(html, /<title>two<\/title>/);
  assert.match(html, /<b>r1<\/b>.*<b>r2<\/b>/s);
  assert.equal(pngStats(readFileSync(join(dir, "png", "loss.png"))).width > 0, true);
  await assert.rejects(reportCommand.run([join(dir, "r1"), "--outptu", out]), (e: unknown) => e instanceof UserError && /did you mean --output/.test(e.message));
  await assert.rejects(reportCommand.run(["--output", out]), (e: unknown) => e instanceof UserError && /at least one run directory/.test(e.message));
  await assert.rejects(reportCommand.run([join(dir, "nope")]), (e: unknown) => e instanceof UserError && e.message.includes(join(dir, "nope")));
  await assert.rejects(reportCommand.run([mkdtempSync(join(tmpdir(), "poet-empty-"))]), (e: unknown) => e instanceof UserError && /nothing to report/.test(e.message));
});

test("colours: one per run in every chart (tableau20 past 10 runs); seeded runs coloured by method, one line each", () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-report-colours-"));
  try {
    const names = Array.from({ length: 12 }, (_, i) => `run${i}`);
    const seeded = ["dpo-seed1", "dpo-seed2", "dpo+poet-seed1", "dpo+poet-seed2"];
    [...names, ...seeded].forEach((n, i) => writeFullRun(join(dir, n), 1 + i / 10));
    const colours = (runs: string[]) => buildCharts(loadRuns(runs.map((n) => join(dir, n))))
      .map((c) => JSON.stringify(c.spec).match(/"color":\{"field":"(\w+)","type":"nominal","title":"\w+","scale":\{"domain":(\[[^\]]*\]),"scheme":"(\w+)"/)?.slice(1));
    for (const c of colours(names.slice(0, 3))) assert.deepEqual(c, ["run", JSON.stringify(names.slice(0, 3)), "tableau10"]);
    for (const c of colours(names)) assert.deepEqual(c, ["run", JSON.stringify(names), "tableau20"]);
    const charts = buildCharts(loadRuns(seeded.map((n) => join(dir, n))));
    for (const [i, c] of colours(seeded).entries()) assert.deepEqual(c, ["group", JSON.stringify(["dpo", "dpo+poet"]), "tableau10"], charts[i]!.id);
    // every line chart still draws each run apart
    for (const c of charts.filter((x) => /"type":"line"/.test(JSON.stringify(x.spec))))
      assert.match(JSON.stringify(c.spec), /"detail":(\[[^\]]*)?\{"field":"run"\}/, c.id);
    const data = (charts[0]!.spec as { data: { values: { run: string; group: string }[] } }).data.values;
    assert.ok(data.every((r) => r.group === r.run.replace(/-seed\d$/, "")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
