// The report in a real browser: Debian's chromium, headless, opens report.html from disk with the network cut off;
// no console errors, no failed or external requests, and every chart's SVG lays out at a non-zero size.
// Without chromium the test is skipped with the reason, unless POET_REQUIRE_BROWSER=1 (CI), where it fails.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { writeReport } from "../src/eval/report/index.js";
import { writeFullRun } from "./report-runs.js";

const CANDIDATES = [process.env.POET_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
const executablePath = CANDIDATES.find((p): p is string => !!p && existsSync(p));
const required = process.env.POET_REQUIRE_BROWSER === "1";
const skip = executablePath || required ? false : `no chromium at ${CANDIDATES.filter(Boolean).join(", ")} (apt-get install chromium, or set POET_CHROMIUM; POET_REQUIRE_BROWSER=1 makes this a failure)`;

test("report.html renders in headless chromium: no errors, no requests out, every chart laid out", { skip, timeout: 60_000 }, async () => {
  assert.ok(executablePath, `POET_REQUIRE_BROWSER=1 but no chromium found at ${CANDIDATES.filter(Boolean).join(", ")}; apt-get install chromium or set POET_CHROMIUM`);
  const dir = mkdtempSync(join(tmpdir(), "poet-report-browser-"));
  writeFullRun(join(dir, "dpo"), 1);
  writeFullRun(join(dir, "simpo-poet"), 1.8, ["lexicon", "reward-model:rm"]);
  const output = join(dir, "report.html");
  const r = await writeReport([join(dir, "dpo"), join(dir, "simpo-poet")], { output, title: "browser check" });

  // --no-sandbox: CI and this container run as root, where chromium's sandbox refuses to start
  const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [], requests: string[] = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (q) => problems.push(`request failed: ${q.url()} ${q.failure()?.errorText ?? ""}`));
    await page.route("**/*", (route) => {
      const url = route.request().url();
      requests.push(url);
      return url.startsWith("file:") ? route.continue() : route.abort();
    });
    const res = await page.goto(pathToFileURL(output).href, { waitUntil: "load" });
    assert.ok(res === null || res.ok(), `loading ${output}`);
    assert.deepEqual(requests, [pathToFileURL(output).href], "the page loads nothing but itself");
    assert.equal(await page.title(), "browser check");

    const boxes = await page.$$eval("figure", (figs) => figs.map((f) => {
      const svg = f.querySelector("svg"), box = svg?.getBoundingClientRect();
      return { id: f.id, svgs: f.querySelectorAll("svg").length, w: box?.width ?? 0, h: box?.height ?? 0, marks: svg?.querySelectorAll("path, line, text").length ?? 0 };
    }));
    assert.deepEqual(boxes.map((b) => b.id), r.charts);
    for (const b of boxes) {
      assert.equal(b.svgs, 1, `${b.id}: one svg`);
      assert.ok(b.w > 100 && b.h > 50, `${b.id}: rendered ${b.w}x${b.h}`);
      assert.ok(b.marks > 10, `${b.id}: ${b.marks} drawn elements`);
    }
    const rows = await page.$$eval("table.summary tbody tr", (trs) => trs.map((tr) => tr.querySelector("td")?.textContent));
    assert.deepEqual(rows, ["dpo", "simpo-poet"]);

    const shot = join(dir, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    assert.equal(png.toString("latin1", 1, 4), "PNG");
    assert.ok(png.readUInt32BE(20) > 1500, `full-page screenshot ${png.readUInt32BE(16)}x${png.readUInt32BE(20)} holds every chart`);
    assert.deepEqual(problems, []);
    process.stderr.write(`report-browser: screenshot ${shot}\n`);
  } finally {
    await browser.close();
  }
});
