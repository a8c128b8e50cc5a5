// Recognizes which of the three preference formats a raw row is in (pre-tokenized, text, conversational)
// and checks its fields, splitting off an implicit shared prompt like TRL. Does not tokenize or render.

import type { ChatMessage } from "./chat-template.js";
import { extractImplicitPrompt, jsonEqual } from "./implicit-prompt.js";
import { RowProblem } from "./row-problem.js";

/** A row whose fields have been checked, in the format it was given in. */
export type PreferenceRow =
  | { format: "tokens"; promptIds: number[]; chosenIds: number[]; rejectedIds: number[] }
  | { format: "text"; prompt: string; chosen: string; rejected: string }
  | { format: "chat"; prompt: ChatMessage[]; chosen: ChatMessage[]; rejected: ChatMessage[] };

/** The fields pre-tokenized rows use (TRL's tokenized column names). */
export const TOKEN_FIELDS = ["prompt_input_ids", "chosen_input_ids", "rejected_input_ids"] as const;

/** What each format needs, for error messages. */
export const FORMATS_HELP =
  "a row needs either text fields (chosen and rejected strings, plus a prompt string unless chosen and rejected both start with it), " +
  'conversational fields (chosen and rejected lists of {"role", "content"} messages, plus a prompt message list unless they both start with it), ' +
  "or pre-tokenized fields (prompt_input_ids, chosen_input_ids and rejected_input_ids lists of token ids)";

/**
 * Checks `row` and returns it in its format. Pre-tokenized wins when any `*_input_ids` field is present
 * (TRL's tokenized datasets keep the text columns too). A `prompt` is split off chosen/rejected when
 * absent, and also when it is a string next to message lists (UltraFeedback-binarized style), as in
 * TRL's maybe_extract_prompt. An empty prompt is allowed; an empty completion is not.
 * Throws RowProblem (message without location) when the row is invalid.
 */
export function parsePreferenceRow(row: Readonly<Record<string, unknown>>): PreferenceRow {
  if (TOKEN_FIELDS.some((field) => present(row[field]))) return parseTokenRow(row);
  const { chosen, rejected } = row;
  if (!present(chosen) || !present(rejected)) {
    const missing = [!present(chosen) ? "chosen" : "", !present(rejected) ? "rejected" : ""].filter(Boolean).join(" and ");
    const keys = Object.keys(row);
    const has = keys.length === 0 ? "it has no fields" : `it has ${keys.slice(0, 8).join(", ")}${keys.length > 8 ? ", ..." : ""}`;
    throw new RowProblem(`missing ${missing} (${has}): ${FORMATS_HELP}`);
  }
  if (typeof chosen === "string") return parseTextRow(row, chosen);
  if (Array.isArray(chosen)) return parseChatRow(row, chosen);
  throw new RowProblem(`chosen must be a string or a list of {"role", "content"} messages, got ${describe(chosen)}`);
}

function parseTokenRow(row: Readonly<Record<string, unknown>>): PreferenceRow {
  const missing = TOKEN_FIELDS.filter((field) => !present(row[field]));
  if (missing.length > 0) {
    throw new RowProblem(
      `missing ${missing.join(" and ")}: pre-tokenized rows need prompt_input_ids, chosen_input_ids and rejected_input_ids (lists of token ids; the prompt list may be empty)`,
    );
  }
  const promptIds = tokenIds(row, "prompt_input_ids");
  const chosenIds = tokenIds(row, "chosen_input_ids");
  const rejectedIds = tokenIds(row, "rejected_input_ids");
  for (const [field, ids] of [["chosen_input_ids", chosenIds], ["rejected_input_ids", rejectedIds]] as const) {
    if (ids.length === 0) throw new RowProblem(`${field} is empty: each completion needs at least one token`);
  }
  return { format: "tokens", promptIds, chosenIds, rejectedIds };
}

/** The ids in `row[field]`: a JSON list, a typed array or a Parquet list (int64 cells arrive as bigint). */
function tokenIds(row: Readonly<Record<string, unknown>>, field: string): number[] {
  const value = row[field];
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    throw new RowProblem(`${field} must be a list of token ids (integers), got ${describe(value)}`);
  }
  const list = value as ArrayLike<unknown>;
  const ids = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) {
    const raw = list[i];
    if (typeof raw === "bigint" && (raw > BigInt(Number.MAX_SAFE_INTEGER) || raw < -BigInt(Number.MAX_SAFE_INTEGER))) {
      throw new RowProblem(`${field}[${i}] is ${raw}: far outside any vocabulary`);
    }
    const id = typeof raw === "bigint" ? Number(raw) : raw;
    if (typeof id !== "number" || !Number.isInteger(id)) {
      throw new RowProblem(`${field}[${i}] is ${describeValue(id)}: token ids must be integers`);
    }
    if (id < 0) throw new RowProblem(`${field}[${i}] is ${id}: token ids must be >= 0`);
    ids[i] = id;
  }
  return ids;
}

function parseTextRow(row: Readonly<Record<string, unknown>>, chosen: string): PreferenceRow {
  const { prompt, rejected } = row;
  if (typeof rejected !== "string") throw new RowProblem(`rejected must be a string like chosen, got ${describe(rejected)}`);
  for (const [field, text] of [["chosen", chosen], ["rejected", rejected]] as const) {
    if (text === "") throw new RowProblem(`${field} is empty: each completion needs some text`);
  }
  if (typeof prompt === "string") return { format: "text", prompt, chosen, rejected };
  if (present(prompt)) {
    throw new RowProblem(
      Array.isArray(prompt)
        ? "prompt is a list but chosen and rejected are strings: give all three as strings, or all three as message lists"
        : `prompt must be a string, got ${describe(prompt)}`,
    );
  }
  // Implicit prompt (e.g. Anthropic HH: "\n\nHuman: ... \n\nAssistant: ..."): code points, as Python slices.
  const split = extractImplicitPrompt([...chosen], [...rejected], (a, b) => a === b);
  return { format: "text", prompt: split.prompt.join(""), chosen: split.chosen.join(""), rejected: split.rejected.join("") };
}

function parseChatRow(row: Readonly<Record<string, unknown>>, chosenValue: unknown[]): PreferenceRow {
  const { prompt, rejected: rejectedValue } = row;
  if (!Array.isArray(rejectedValue)) {
    throw new RowProblem(`rejected must be a list of messages like chosen, got ${describe(rejectedValue)}`);
  }
  const chosen = messages(chosenValue, "chosen");
  const rejected = messages(rejectedValue, "rejected");
  for (const [field, list] of [["chosen", chosen], ["rejected", rejected]] as const) {
    if (list.length === 0) throw new RowProblem(`${field} is an empty message list: each completion needs at least one message`);
  }
  if (Array.isArray(prompt)) return { format: "chat", prompt: messages(prompt, "prompt"), chosen, rejected };
  if (present(prompt) && typeof prompt !== "string") {
    throw new RowProblem(`prompt must be a list of messages like chosen (or left out), got ${describe(prompt)}`);
  }
  // No prompt list: the prompt turns are the messages chosen and rejected start with. A prompt string
  // next to message lists is only a copy of the question (UltraFeedback-binarized), so TRL ignores it too.
  const split = extractImplicitPrompt(chosen, rejected, jsonEqual);
  if (typeof prompt === "string" && split.prompt.length === 0) {
    // Ignoring the string here would silently train without the prompt (TRL crashes on this row).
    throw new RowProblem(
      'prompt is a string, but chosen and rejected do not start with the same prompt turns: give prompt as a message list, e.g. [{"role": "user", "content": "..."}]',
    );
  }
  return { format: "chat", ...split };
}

function messages(list: unknown[], field: string): ChatMessage[] {
  return list.map((message, i) => {
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      throw new RowProblem(`${field}[${i}] must be a {"role", "content"} message, got ${describe(message)}`);
    }
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== "string") throw new RowProblem(`${field}[${i}].role must be a string, got ${describe(role)}`);
    if (typeof content !== "string") throw new RowProblem(`${field}[${i}].content must be a string, got ${describe(content)}`);
    // Parquet int64 fields arrive as bigint, which the Jinja runtime cannot take; a number is what Python sees.
    const entries = Object.entries(message).map(([key, value]) => [key, typeof value === "bigint" ? Number(value) : value]);
    return Object.fromEntries(entries) as ChatMessage;
  });
}

/** Parquet null cells and JSON nulls count as absent. */
function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function describeValue(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return `${JSON.stringify(value.slice(0, 20))} (a string)`;
  return describe(value);
}
