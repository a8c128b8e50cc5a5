// The forward+backward side of the whole-process logps bench: the same job as `poet logps`, plus the gradient
// of sum(chosen_logps - rejected_logps) with respect to every weight, batch by batch (no optimizer), as
// bench/torch_logps.py --backward does. Same flags as `poet logps`.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getBackend } from "../src/engine/backend.js";
import { Tape } from "../src/engine/tape.js";
import { loadPairs } from "../src/data/load-pairs.js";
import { truncatePair } from "../src/data/truncation.js";
import type { Truncation } from "../src/data/types.js";
import { loadModel } from "../src/models/load.js";
import { packForScoring, pairSequences, sumPerSequence, tokenLogprobs } from "../src/models/scoring.js";

const { values: f } = parseArgs({ options: { model: { type: "string" }, data: { type: "string" }, truncation: { type: "string" }, output: { type: "string" } } });
const model = loadModel(f.model!, getBackend());
for (const p of model.params.values()) p.t.requiresGrad = true;
const { pairs } = await loadPairs(f.data!, { modelDir: f.model!, vocabSize: model.vocabSize });
const tp = pairs.map((p) => truncatePair(p, (f.truncation ?? "none") as Truncation));
const lines: string[] = [];
for (let i = 0; i < tp.length; i += 8) {
  const chunk = tp.slice(i, i + 8);
  const sb = packForScoring(pairSequences(chunk));
  const tape = new Tape(model.backend, true);
  const lp = tokenLogprobs(model, tape, sb);
  lp.grad = model.backend.from(Array.from(sb.seqOfRow, (s) => (s % 2 === 0 ? 1 : -1)));
  tape.backward();
  const sums = sumPerSequence(lp.data, sb);
  chunk.forEach((p, k) => lines.push(JSON.stringify({ chosen_logps: sums[2 * k], rejected_logps: sums[2 * k + 1], chosen_tokens: p.chosenIds.length, rejected_tokens: p.rejectedIds.length })));
}
writeFileSync(f.output!, lines.join("\n") + "\n");
