// Judges: the lexicon, a reward model directory, and the LLM judge against a real `poet serve` process (a tiny
// random model, so its verdicts are noise: the test checks the plumbing — real HTTP, both orders asked, answers
// parsed or counted as ties — against the same server queried directly), plus judge specs and their errors.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startServer } from "./serve-process.js";
import { fileURLToPath } from "node:url";
import { loadTokenizer } from "../src/data/tokenizer.js";
import { UserError } from "../src/errors.js";
import { judgeFromSpec } from "../src/eval/judges/index.js";
import { lexiconJudge } from "../src/eval/judges/lexicon.js";
import { LlmJudge, chatCompletionsUrl, judgeMessages, parseVerdict, verdictFromLogprobs, type ChatResponse } from "../src/eval/judges/llm.js";
import { RewardModelJudge, rewardInputIds } from "../src/eval/judges/reward-model.js";
import { initRewardModel, loadRewardModel, saveRewardModel, scoreSequences } from "../src/eval/reward-model.js";
import { copyAuxiliaryFiles, loadModel, saveModel } from "../src/models/load.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MODEL = join(ROOT, "examples", "tiny-gpt2");

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("lexicon judge: VADER compound scores, positive above negative, empty text 0", async () => {
  const s = await lexiconJudge.score!(["p", "p", "p"], ["A wonderful, moving film.", "A dull and awful mess.", "  "]);
  assert.ok(s[0]! > 0.5 && s[1]! < -0.5, `${s}`);
  assert.equal(s[2], 0);
  assert.equal(lexiconJudge.name, "lexicon");
});

test("reward-model judge: scores prompt + completion + EOS with the saved model, as loaded", async () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-rm-judge-"));
  try {
    saveRewardModel(initRewardModel(MODEL, 3), dir, { tokenizerFrom: MODEL });
    const judge = judgeFromSpec(`reward-model:${dir}`);
    assert.ok(judge instanceof RewardModelJudge);
    assert.equal(judge.name, `reward-model:${dir}`);
    const prompts = ["Here is my review of the film:", "Here is my review of the film:"];
    const completions = [" A wonderful, moving film.", ""];
    const s = await judge.score!(prompts, completions);
    const tok = (await loadTokenizer(dir))!;
    const ids = prompts.map((p, i) => rewardInputIds(tok, p, completions[i]!));
    assert.deepEqual(ids[1], [...tok.encode(prompts[1]!, { addSpecialTokens: false }), 50256]);
    assert.deepEqual(s, [...scoreSequences(loadRewardModel(dir), ids)]);
    assert.notEqual(s[0], s[1]);
    assert.throws(() => judgeFromSpec(`reward-model:${join(dir, "missing")}`), /no config\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("judge specs: kinds, arguments, did-you-mean", () => {
  assert.equal(judgeFromSpec("lexicon"), lexiconJudge);
  const llm = judgeFromSpec("llm:my@model@http://127.0.0.1:9/v1");
  assert.ok(llm instanceof LlmJudge);
  assert.equal(llm.name, "llm:my@model@http://127.0.0.1:9/v1");
  assert.equal(llm.endpoint, "http://127.0.0.1:9/v1/chat/completions");
  assert.throws(() => judgeFromSpec("lexicn"), (e: Error) => e instanceof UserError && /did you mean lexicon\?/.test(e.message));
  assert.throws(() => judgeFromSpec("reward:runs/rm"), /did you mean reward-model:runs\/rm\?/);
  assert.throws(() => judgeFromSpec("llm:gpt-4o"), /llm:MODEL@URL/);
  assert.throws(() => judgeFromSpec("reward-model:"), /reward model directory/);
  assert.throws(() => judgeFromSpec("gpt4"), /a judge is "lexicon"/);
  assert.equal(chatCompletionsUrl("http://h:1"), "http://h:1/v1/chat/completions");
  assert.equal(chatCompletionsUrl("http://h:1/v1/"), "http://h:1/v1/chat/completions");
  assert.equal(chatCompletionsUrl("http://h:1/v1/chat/completions"), "http://h:1/v1/chat/completions");
});

test("LLM judge answers: letters parsed, ambiguous ones not; logprobs of A and B give a probability", () => {
  for (const [text, want] of [["A", "A"], [" B.", "B"], ["**A**", "A"], ["Output (B)", "B"], ["Answer: A", "A"], ["b", "B"],
    ["The better one is B", "B"], ["A is better than B", null], ["", null], ["neither", null]] as const)
    assert.equal(parseVerdict(text), want, JSON.stringify(text));
  const lp = (token: string, logprob: number, top: [string, number][]) => ({
    choices: [{ logprobs: { content: [{ token, logprob, top_logprobs: top.map(([t, l]) => ({ token: t, logprob: l })) }] } }],
  });
  assert.ok(Math.abs(verdictFromLogprobs(lp("A", Math.log(0.6), [["A", Math.log(0.6)], ["B", Math.log(0.2)], ["C", Math.log(0.1)]]))! - 0.75) < 1e-12);
  assert.ok(Math.abs(verdictFromLogprobs(lp(" B", Math.log(0.5), [[" B", Math.log(0.5)], ["A", Math.log(0.5)]]))! - 0.5) < 1e-12);
  assert.equal(verdictFromLogprobs(lp("The", -0.1, [["The", -0.1], ["It", -3]])), null);
  assert.equal(verdictFromLogprobs({ choices: [{ logprobs: null }] }), null);
});

test("LLM judge against a real poet serve: both orders asked over HTTP, verdicts as the server gives them", async () => {
  const { url, stop } = await startServer();
  try {
    const prompts = ["Here is my review of the film:", "What did you think of it?", "Rate the movie."];
    const a = [" A wonderful film.", " B.", " It was A."];
    const b = [" A dull film.", " A", " Bad."];
    const judge = new LlmJudge({ model: "tiny-gpt2", url, concurrency: 2, retries: 0 });
    const prefs = await judge.compare(prompts, a, b);
    assert.equal(judge.stats.requests, 2 * prompts.length);
    // the same questions, asked directly of the same (greedy, deterministic) server, in both orders: P(first wins)
    // from the answer's logprobs when A or B is among them, else from the letter, else a tie
    let unparsed = 0, fromLogprobs = 0;
    const ask = async (p: string, first: string, second: string): Promise<number> => {
      const r = await fetch(`${url}/chat/completions`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "tiny-gpt2", messages: judgeMessages(p, first, second), max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 5 }),
      });
      assert.equal(r.status, 200);
      const body = (await r.json()) as ChatResponse & { choices: { message: { content: string } }[] };
      const fromLp = verdictFromLogprobs(body);
      if (fromLp !== null) {
        fromLogprobs++;
        return fromLp;
      }
      const v = parseVerdict(body.choices[0]!.message.content);
      unparsed += Number(v === null);
      return v === null ? 0.5 : v === "A" ? 1 : 0;
    };
    for (const [i, p] of prompts.entries()) {
      const p1 = await ask(p, a[i]!, b[i]!), p2 = 1 - (await ask(p, b[i]!, a[i]!));
      assert.equal(prefs[i], (p1 + p2) / 2, `prompt ${i}`);
    }
    assert.deepEqual(judge.stats, { requests: 2 * prompts.length, unparsed, fromLogprobs });
    // a server that is there but has no such route: a UserError naming the status
    const wrong = new LlmJudge({ model: "tiny-gpt2", url: url.replace(/\/v1$/, "/nope"), retries: 0 });
    await assert.rejects(wrong.compare(["p"], ["x"], ["y"]), (e: Error) => e instanceof UserError && /HTTP 404/.test(e.message));
  } finally {
    stop();
  }
});

/**
 * tiny-gpt2 edited to answer "A" to everything: the final norm's output is pinned (weight 0) to a long copy of
 * A's embedding, which the tied head then scores far above any other token.
 */
async function alwaysAModel(dir: string): Promise<void> {
  const m = loadModel(MODEL);
  const tok = (await loadTokenizer(MODEL))!;
  const [idA] = tok.encode("A", { addSpecialTokens: false });
  const wte = m.params.get("transformer.wte.weight")!.t.data, C = m.hiddenSize;
  for (let c = 0; c < C; c++) wte[idA! * C + c] = wte[idA! * C + c]! * 20;
  m.params.get("transformer.ln_f.weight")!.t.data.fill(0);
  m.params.get("transformer.ln_f.bias")!.t.data.set(wte.subarray(idA! * C, (idA! + 1) * C));
  saveModel(m, dir);
  copyAuxiliaryFiles(MODEL, dir);
}

test("LLM judge against a real server that always answers A: position bias cancels to ties, none unparsed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "poet-always-a-"));
  await alwaysAModel(dir);
  const { url, stop } = await startServer(dir);
  try {
    const judge = new LlmJudge({ model: "always-a", url, maxTokens: 1, retries: 0 });
    const prefs = await judge.compare(["Rate the movie.", "Which is kinder?"], [" Great.", " Thanks!"], [" Awful.", " Go away."]);
    // asked once with the model first ("A" = model wins: 1) and once with it second ("A" = baseline wins: 0)
    assert.deepEqual(prefs, [0.5, 0.5]);
    // poet serve returns logprobs: every verdict is read from them, P(A) close to 1 in both orders
    assert.deepEqual(judge.stats, { requests: 4, unparsed: 0, fromLogprobs: 4 });
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("LLM judge: an unreachable URL is a UserError after its retries", async () => {
  const port = await closedPort();
  const judge = judgeFromSpec(`llm:m@http://127.0.0.1:${port}/v1`, { retries: 2, backoffMs: 5 });
  const t0 = performance.now();
  await assert.rejects(judge.compare!(["p"], ["x"], ["y"]), (e: Error) =>
    e instanceof UserError && /cannot reach the judge at http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions \(ECONNREFUSED\) after 3 tries/.test(e.message));
  assert.ok(performance.now() - t0 >= 15, "backoff between tries");
});
