// An OpenAI-compatible chat-completions server over a poet model (POST /v1/chat/completions, GET /v1/models), for
// users who want a local judge or a quick endpoint. Requests are served one at a time on the engine; loopback by
// default. Messages are rendered with the model's chat template, or as "role: content" lines when it has none.
// `logprobs` / `top_logprobs` return the model's own (temperature 1) log-probs of the completion's tokens, which
// LLM judges read their verdict from.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ChatMessage } from "../data/chat-template.js";
import type { PoetTokenizer } from "../data/tokenizer.js";
import { ops } from "../engine/ops/index.js";
import { Tape } from "../engine/tape.js";
import { generate } from "../eval/generate.js";
import type { CausalLM } from "../models/model.js";
import { packForScoring } from "../models/scoring.js";

export interface ServeOptions {
  model: CausalLM;
  tokenizer: PoetTokenizer;
  modelName: string;
  eosIds: number[];
  /** Upper bound on max_tokens a request may ask for. */
  maxTokensLimit: number;
}

class BadRequest extends Error {}

function renderPrompt(tok: PoetTokenizer, messages: ChatMessage[]): number[] {
  if (tok.chatTemplate) return tok.encode(tok.applyChatTemplate(messages, { addGenerationPrompt: true }), { addSpecialTokens: false });
  const text = messages.map((m) => `${m.role}: ${m.content}`).join("\n") + "\nassistant:";
  return tok.encode(text, { addSpecialTokens: true });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 8 << 20) reject(new BadRequest("request body over 8 MB"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(s) });
  res.end(s);
}

interface TokenLogprob { token: string; logprob: number; bytes: number[] }

/**
 * OpenAI's choices[].logprobs.content: for each completion token, its log-prob and the `top` most likely tokens at
 * its position, from one teacher-forced pass over prompt + completion (log-softmax in float64).
 */
function completionLogprobs(o: ServeOptions, prompt: readonly number[], ids: readonly number[], top: number): (TokenLogprob & { top_logprobs: TokenLogprob[] })[] {
  if (ids.length === 0) return [];
  const sb = packForScoring([{ prompt, completion: ids }]);
  const tape = new Tape(o.model.backend, false);
  const h = o.model.hidden(tape, sb.batch); // (N, C)
  const lg = ops.linear(tape, o.model.finalNorm(tape, ops.gatherRows(tape, h, sb.rows)), o.model.head(), null).data; // (L, V)
  const V = o.model.vocabSize;
  const entry = (t: number, lp: number): TokenLogprob => {
    const token = o.tokenizer.decode([t]);
    return { token, logprob: lp, bytes: [...Buffer.from(token, "utf8")] };
  };
  return ids.map((id, j) => {
    const off = j * V;
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, lg[off + v]!);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(lg[off + v]! - mx);
    const lse = mx + Math.log(z);
    const best: number[] = []; // the `top` highest, by repeated selection (top <= 20)
    for (let k = 0; k < top; k++) {
      let b = -1;
      for (let v = 0; v < V; v++) if (!best.includes(v) && (b < 0 || lg[off + v]! > lg[off + b]!)) b = v;
      best.push(b);
    }
    return { ...entry(id, lg[off + id]! - lse), top_logprobs: best.map((t) => entry(t, lg[off + t]! - lse)) };
  });
}

/** Handles one chat-completions request body: validated like OpenAI's API, errors as {error: {message, type}}. */
export function chatCompletion(o: ServeOptions, body: unknown, counter: number): unknown {
  if (typeof body !== "object" || body === null) throw new BadRequest("body must be a JSON object");
  const b = body as Record<string, unknown>;
  const msgs = b.messages;
  if (!Array.isArray(msgs) || msgs.length === 0 || !msgs.every((m) => typeof m?.role === "string" && typeof m?.content === "string"))
    throw new BadRequest("messages must be a non-empty list of {role, content} strings");
  const num = (k: string, d: number, ok: (x: number) => boolean) => {
    const v = b[k];
    if (v === undefined || v === null) return d;
    if (typeof v !== "number" || !ok(v)) throw new BadRequest(`${k}: invalid value ${JSON.stringify(v)}`);
    return v;
  };
  const maxTokens = num("max_tokens", num("max_completion_tokens", 256, (x) => Number.isInteger(x) && x > 0), (x) => Number.isInteger(x) && x > 0);
  if (b.logprobs !== undefined && b.logprobs !== null && typeof b.logprobs !== "boolean") throw new BadRequest(`logprobs: invalid value ${JSON.stringify(b.logprobs)}`);
  const top = num("top_logprobs", 0, (x) => Number.isInteger(x) && x >= 0 && x <= 20);
  if (top > 0 && b.logprobs !== true) throw new BadRequest("top_logprobs needs logprobs: true");
  const prompt = renderPrompt(o.tokenizer, msgs as ChatMessage[]);
  const room = o.model.maxPositions === null ? Infinity : o.model.maxPositions - prompt.length;
  if (room < 1) throw new BadRequest(`the prompt (${prompt.length} tokens) fills the model's ${o.model.maxPositions} positions`);
  const n = Math.min(maxTokens, o.maxTokensLimit, room);
  const [ids] = generate(o.model, [prompt], {
    maxNewTokens: n, temperature: num("temperature", 1, (x) => x >= 0 && x <= 2), topP: num("top_p", 1, (x) => x > 0 && x <= 1),
    topK: 0, seed: num("seed", counter, Number.isInteger), eosIds: o.eosIds,
  });
  const stopped = ids!.length > 0 && o.eosIds.includes(ids![ids!.length - 1]!);
  return {
    id: `chatcmpl-poet-${counter}`, object: "chat.completion", created: Math.floor(Date.now() / 1000), model: o.modelName,
    choices: [{
      index: 0, message: { role: "assistant", content: o.tokenizer.decode(ids!, { skipSpecialTokens: true }) },
      logprobs: b.logprobs === true ? { content: completionLogprobs(o, prompt, ids!, top) } : null, finish_reason: stopped ? "stop" : "length",
    }],
    usage: { prompt_tokens: prompt.length, completion_tokens: ids!.length, total_tokens: prompt.length + ids!.length },
  };
}

export function createChatServer(o: ServeOptions): Server {
  let counter = 0;
  let queue: Promise<void> = Promise.resolve();
  return createServer((req, res) => {
    const route = `${req.method} ${(req.url ?? "").split("?")[0]}`;
    if (route === "GET /v1/models") return send(res, 200, { object: "list", data: [{ id: o.modelName, object: "model", owned_by: "poet" }] });
    if (route !== "POST /v1/chat/completions") return send(res, 404, { error: { message: `no route ${route}`, type: "invalid_request_error" } });
    // one request at a time on the engine, in arrival order
    queue = queue.then(async () => {
      try {
        const text = await readBody(req);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new BadRequest("body is not valid JSON");
        }
        send(res, 200, chatCompletion(o, body, ++counter));
      } catch (e) {
        if (e instanceof BadRequest) send(res, 400, { error: { message: e.message, type: "invalid_request_error" } });
        else send(res, 500, { error: { message: String((e as Error).message), type: "server_error" } });
      }
    });
  });
}
