// `poet demo`: the controlled sentiment experiment on the embedded base model (src/demo/demo.ts), end to end.
import { DEMO_DEFAULTS, runDemo, type DemoOptions } from "../demo/demo.js";
import { UserError } from "../errors.js";
import { parseFlags, positiveInt, type Command } from "./command.js";

const help = `poet demo: does POET help? The whole controlled experiment on the shipped base model, in minutes

Usage: poet demo [--output DIR] [options]

The task (after the DPO paper's IMDb experiment): continue the opening of a review; the ground-truth reward is
the VADER sentiment of the continuation. Steps: the base model (models/poet-tiny, trained by poet pretrain/sft)
samples ${DEMO_DEFAULTS.samplesPerPrompt} continuations per training prompt, cut at random lengths; the best and worst under VADER make a
pair. DPO, DPO+POET, SimPO and SimPO+POET train from the base model, once per seed. Each run's samples on
held-out prompts are judged against the base model's: win rate with a 95% interval, length-controlled win rate
(AlpacaEval 2's regression), mean reward and length; then the reward-generation-gap analysis.

Writes DIR/pairs.jsonl, DIR/eval_pairs.jsonl, DIR/base/generations.jsonl, DIR/runs/<method>-seed<S>/ (model,
log.jsonl, generations.jsonl, winrates.json, analysis.json), DIR/results.json and DIR/report.html.

Options:
  --output DIR           where everything goes (default poet-demo)
  --base-model DIR       the base model (default: the shipped models/poet-tiny)
  --seeds LIST           training seeds, comma-separated (default ${DEMO_DEFAULTS.seeds.join(",")})
  --train-prompts N      prompts whose pairs train the policies (default ${DEMO_DEFAULTS.trainPrompts})
  --eval-prompts N       held-out prompts for win rates (default ${DEMO_DEFAULTS.evalPrompts})
  --epochs N             training epochs of each run (default ${DEMO_DEFAULTS.epochs})
  --quick                a smaller run (1 seed, 200 + 100 prompts, 1 epoch, ~20 s) to see the pipeline work

Examples:
  poet demo --output poet-demo && open poet-demo/report.html
  poet demo --output /tmp/demo-quick --quick
`;

export const demoCommand: Command = {
  name: "demo",
  summary: "the whole experiment on the shipped model: pairs, DPO/SimPO +/- POET, win rates, report",
  help,
  async run(argv) {
    const f = parseFlags("demo", argv, {
      output: { type: "string" }, "base-model": { type: "string" }, seeds: { type: "string" }, "train-prompts": { type: "string" },
      "eval-prompts": { type: "string" }, epochs: { type: "string" }, quick: { type: "boolean" },
    });
    const o: DemoOptions = { ...DEMO_DEFAULTS, outputDir: f.output ?? "poet-demo" };
    if (f.quick) Object.assign(o, { seeds: [1], trainPrompts: 200, evalPrompts: 100, epochs: 1 });
    if (f["base-model"] !== undefined) o.baseModel = f["base-model"];
    if (f.seeds !== undefined) {
      const seeds = f.seeds.split(",").map(Number);
      if (seeds.length === 0 || !seeds.every(Number.isInteger)) throw new UserError(`poet demo: --seeds ${f.seeds}: expected integers separated by commas, e.g. 1,2,3`);
      o.seeds = seeds;
    }
    o.trainPrompts = positiveInt("demo", "train-prompts", f["train-prompts"], o.trainPrompts);
    o.evalPrompts = positiveInt("demo", "eval-prompts", f["eval-prompts"], o.evalPrompts);
    o.epochs = positiveInt("demo", "epochs", f.epochs, o.epochs);
    const r = await runDemo(o, (msg) => process.stderr.write(`poet demo: ${msg}\n`));
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    process.stdout.write(`\nbase model: mean reward ${r.base.mean_reward.toFixed(3)}, mean length ${r.base.mean_length.toFixed(1)} tokens; ` +
      `${r.pairs.train} training pairs (seeds ${o.seeds.join(", ")})\n\n`);
    process.stdout.write(`${"method".padEnd(12)} ${"win rate vs base [95% CI]".padEnd(28)} ${"LC win rate".padEnd(12)} ${"reward".padEnd(8)} length\n`);
    for (const run of r.runs)
      process.stdout.write(`${run.name.padEnd(12)} ${`${pct(run.win_rate)} [${pct(run.ci_low)}, ${pct(run.ci_high)}]`.padEnd(28)} ` +
        `${pct(run.lc_win_rate).padEnd(12)} ${run.mean_reward.toFixed(3).padEnd(8)} ${run.mean_length.toFixed(1)}\n`);
    process.stdout.write(`\n${r.findings.map((f) => `- ${f}`).join("\n")}\n`);
    process.stdout.write(`\n${(r.seconds / 60).toFixed(1)} minutes; ${o.outputDir}/results.json, ${o.outputDir}/report.html\n`);
  },
};
