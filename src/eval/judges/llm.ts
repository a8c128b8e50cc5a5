// The LLM judge: a pairwise judge over any OpenAI-compatible POST /v1/chat/completions endpoint (OpenAI, vLLM,
// llama.cpp, `poet serve`). Each prompt is asked twice, with the two outputs in both orders, to cancel position
// bias, in the manner of AlpacaEval's ranking prompts (Dubois et al. 2023): the judge names the better output, "A"
// or "B". The answer is read from the logprobs of "A" and "B" when the server returns them (a probability, as
// AlpacaEval 2's weighted annotator does), else parsed from the reply; an unparsable answer counts as a tie and
// is counted in `stats`. Requests have a timeout, retries with backoff, and a concurrency limit.
import type { Judge } from "./types.js";
import { UserError } from "../../errors.js";

export interface LlmJudgeOptions {
  /** The model name sent in each request. */
  model: string;
  /** Base URL: `http://host:port`, `http://host:port/v1`, or the full `.../chat/completions` URL. */
  url: string;
  /** Bearer token; default: env OPENAI_API_KEY when set. */
  apiKey?: string;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Per-request timeout in ms (default 60 000). */
  timeoutMs?: number;
  /** Retries after a network error, timeout, 429 or 5xx (default 3), with exponential backoff from backoffMs. */
  retries?: number;
  /** First backoff in ms (default 500), doubled on each retry. */
  backoffMs?: number;
  /** max_tokens of each answer (default 8: the judge is told to answer with one letter). */
  maxTokens?: number;
}

/** What the judge did so far (cumulative over compare calls). */
export interface LlmJudgeStats {
  /** Chat-completion requests answered (two per prompt). */
  requests: number;
  /** Answers with neither logprobs of A/B nor a parsable letter: counted as ties. */
  unparsed: number;
  /** Answers read from logprobs. */
  fromLogprobs: number;
}

/** The chat-completions URL of a base URL (see LlmJudgeOptions.url). */
export function chatCompletionsUrl(url: string): string {
  const u = url.replace(/\/+$/, "");
  if (u.endsWith("/chat/completions")) return u;
  return u.endsWith("/v1") ? `${u}/chat/completions` : `${u}/v1/chat/completions`;
}

const SYSTEM = "You are a careful and impartial evaluator of AI assistants. You compare two outputs written in " +
  "response to the same instruction and decide which one a thoughtful human would prefer.";

/** The judge's messages for one ordering: `first` is shown as output A, `second` as output B. */
export function judgeMessages(instruction: string, first: string, second: string): { role: string; content: string }[] {
  const user = [
    "Below is an instruction given to two AI assistants, followed by the output of each. Decide which output is " +
      "better: more helpful, accurate, relevant and well written. Judge the content, not the order in which the " +
      "outputs appear, and do not favour an output for being longer.",
    "",
    "## Instruction",
    "",
    JSON.stringify({ instruction }, null, 2),
    "",
    "## Outputs",
    "",
    JSON.stringify([{ output_id: "A", output: first }, { output_id: "B", output: second }], null, 2),
    "",
    "## Your answer",
    "",
    'Reply with the identifier of the better output and nothing else: the single letter "A" or "B".',
  ].join("\n");
  return [{ role: "system", content: SYSTEM }, { role: "user", content: user }];
}

/**
 * The judge's verdict in a reply text: "A" or "B" when the reply (quotes, brackets, markdown and "Output"
 * stripped) is that letter, or when exactly one of the two letters appears as a word; else null.
 */
export function parseVerdict(text: string): "A" | "B" | null {
  const bare = text.trim().replace(/^[\s*_"'`([]*(?:output|answer|model)?[\s:*_"'`([]*/i, "").replace(/[\s*_"'`)\].,!:]*$/, "");
  if (bare.toUpperCase() === "A" || bare.toUpperCase() === "B") return bare.toUpperCase() as "A" | "B";
  const letters = new Set([...text.matchAll(/\b([AB])\b/g)].map((m) => m[1]!));
  return letters.size === 1 ? ([...letters][0] as "A" | "B") : null;
}

interface TopLogprob { token: string; logprob: number }
export interface ChatResponse {
  choices?: { message?: { content?: string | null }; logprobs?: { content?: { token: string; logprob: number; top_logprobs?: TopLogprob[] }[] | null } | null }[];
}

/**
 * P(A) from the first answer token's top logprobs: the mass of tokens reading "A" against that of "B" (the
 * first content token that reads as either; null when neither letter is among the alternatives).
 */
export function verdictFromLogprobs(r: ChatResponse): number | null {
  const content = r.choices?.[0]?.logprobs?.content;
  if (!Array.isArray(content)) return null;
  for (const tok of content) {
    const alts = [{ token: tok.token, logprob: tok.logprob }, ...(tok.top_logprobs ?? [])];
    let a = 0, b = 0;
    const seen = new Set<string>();
    for (const t of alts) {
      if (seen.has(t.token)) continue;
      seen.add(t.token);
      const s = t.token.trim().replace(/^[*_"'`([]+|[*_"'`)\].,:]+$/g, "");
      if (s === "A") a += Math.exp(t.logprob);
      else if (s === "B") b += Math.exp(t.logprob);
    }
    if (a + b > 0) return a / (a + b);
    // a leading space, quote or markdown token may come first; stop at the first token that says anything else
    if (tok.token.trim().replace(/[*_"'`([]/g, "") !== "") return null;
  }
  return null;
}

/** Runs fn over items with at most `limit` in flight, keeping the order of results; stops at the first failure. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0, failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A network-level failure (refused, DNS, reset, timeout): the cause's code when Node gives one. */
function networkReason(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return "timed out";
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

export class LlmJudge implements Judge {
  readonly name: string;
  readonly endpoint: string;
  readonly stats: LlmJudgeStats = { requests: 0, unparsed: 0, fromLogprobs: 0 };
  private readonly o: Required<Omit<LlmJudgeOptions, "apiKey">> & { apiKey: string | undefined };
  /** Whether the server rejected `logprobs` (then it is no longer asked for). */
  private noLogprobs = false;

  constructor(opts: LlmJudgeOptions) {
    this.endpoint = chatCompletionsUrl(opts.url);
    try {
      new URL(this.endpoint);
    } catch {
      throw new UserError(`judge URL "${opts.url}" is not a URL: give e.g. http://127.0.0.1:8000/v1`);
    }
    this.name = `llm:${opts.model}@${opts.url}`;
    this.o = {
      model: opts.model, url: opts.url, apiKey: opts.apiKey ?? process.env.OPENAI_API_KEY, concurrency: opts.concurrency ?? 4,
      timeoutMs: opts.timeoutMs ?? 60_000, retries: opts.retries ?? 3, backoffMs: opts.backoffMs ?? 500, maxTokens: opts.maxTokens ?? 8,
    };
  }

  /** One chat completion, with retries on network errors, timeouts, 429 and 5xx. */
  private async post(messages: { role: string; content: string }[]): Promise<ChatResponse> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    let lastProblem = "";
    for (let attempt = 0; attempt <= this.o.retries; attempt++) {
      if (attempt > 0) await sleep(this.o.backoffMs * 2 ** (attempt - 1));
      const body = {
        model: this.o.model, messages, max_tokens: this.o.maxTokens, temperature: 0,
        ...(this.noLogprobs ? {} : { logprobs: true, top_logprobs: 5 }),
      };
      let res: Response;
      try {
        res = await fetch(this.endpoint, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(this.o.timeoutMs) });
      } catch (e) {
        lastProblem = networkReason(e);
        continue;
      }
      const text = await res.text();
      if (res.ok) {
        try {
          return JSON.parse(text) as ChatResponse;
        } catch {
          throw new UserError(`judge ${this.endpoint} answered 200 with a body that is not JSON: ${text.slice(0, 200)}; is this an OpenAI-compatible chat-completions URL?`);
        }
      }
      if (res.status === 429 || res.status >= 500) {
        lastProblem = `HTTP ${res.status}: ${text.slice(0, 200)}`;
        continue;
      }
      // Some servers refuse logprobs: ask again without them, once for all.
      if (res.status === 400 && !this.noLogprobs && /logprob/i.test(text)) {
        this.noLogprobs = true;
        attempt--;
        continue;
      }
      const hint = res.status === 401 || res.status === 403 ? " (set OPENAI_API_KEY to the server's key)"
        : res.status === 404 ? " (check --judge-url: it should end in /v1, and --judge-model)" : "";
      throw new UserError(`judge ${this.endpoint} refused the request: HTTP ${res.status}: ${text.slice(0, 300)}${hint}`);
    }
    throw new UserError(`cannot reach the judge at ${this.endpoint} (${lastProblem}) after ${this.o.retries + 1} tries: ` +
      "start the server (e.g. poet serve --model DIR --port 8000) or check --judge-url");
  }

  /** P(first output is better) for one ordering: from logprobs, else the parsed letter, else 0.5 (unparsed). */
  private async ask(instruction: string, first: string, second: string): Promise<number> {
    const r = await this.post(judgeMessages(instruction, first, second));
    this.stats.requests++;
    const p = verdictFromLogprobs(r);
    if (p !== null) {
      this.stats.fromLogprobs++;
      return p;
    }
    const v = parseVerdict(r.choices?.[0]?.message?.content ?? "");
    if (v === null) {
      this.stats.unparsed++;
      return 0.5;
    }
    return v === "A" ? 1 : 0;
  }

  /** For each prompt, P(a beats b): the mean of the verdicts with a shown first and with b shown first. */
  async compare(prompts: readonly string[], a: readonly string[], b: readonly string[]): Promise<number[]> {
    if (a.length !== prompts.length || b.length !== prompts.length) throw new Error(`LlmJudge.compare: ${prompts.length} prompts, ${a.length} and ${b.length} outputs`);
    const jobs = prompts.flatMap((p, i) => [{ p, first: a[i]!, second: b[i]!, aFirst: true }, { p, first: b[i]!, second: a[i]!, aFirst: false }]);
    const answers = await mapLimited(jobs, this.o.concurrency, async (j) => {
      const pFirst = await this.ask(j.p, j.first, j.second);
      return j.aFirst ? pFirst : 1 - pFirst;
    });
    return prompts.map((_, i) => (answers[2 * i]! + answers[2 * i + 1]!) / 2);
  }
}
