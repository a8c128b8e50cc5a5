// Reading plain-text training documents for language modelling (`poet pretrain`, `poet sft`): .txt files split
// into paragraphs, .jsonl / .json rows with "text" (or "prompt" + "completion"; rows with an empty "text" are
// skipped). No tokenization here.
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { UserError, at } from "../errors.js";

/** One training document: loss on `completion`; `prompt` (possibly "") is context only. */
export interface TextDocument {
  prompt: string;
  completion: string;
  source: { file: string; line?: number };
}

/**
 * Paragraphs of a plain-text file: blocks separated by blank lines, each block's hard line wraps joined with single
 * spaces (books such as Project Gutenberg texts wrap at ~70 columns; the wraps carry no meaning).
 */
export function paragraphs(text: string): string[] {
  return text
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t]*\n/)
    .map((p) => p.split("\n").map((l) => l.trim()).filter((l) => l.length > 0).join(" "))
    .filter((p) => p.length > 0);
}

/** The document of one row; null for an empty "text" (nothing to learn from). */
function rowDocument(row: unknown, file: string, line: number | undefined, where: string): TextDocument | null {
  if (typeof row !== "object" || row === null || Array.isArray(row))
    throw new UserError(`${where}: expected a JSON object with "text" (or "prompt" and "completion")`);
  const r = row as Record<string, unknown>;
  if (typeof r.text === "string") {
    if (r.text.trim() === "") return null;
    return { prompt: "", completion: r.text.trim(), source: { file, ...(line !== undefined ? { line } : {}) } };
  }
  if (typeof r.prompt === "string" && typeof r.completion === "string") {
    if (r.completion === "") throw new UserError(`${where}: "completion" is empty: remove the row`);
    return { prompt: r.prompt, completion: r.completion, source: { file, ...(line !== undefined ? { line } : {}) } };
  }
  throw new UserError(`${where}: no string "text" field (nor "prompt" + "completion"); keys: ${Object.keys(r).join(", ") || "none"}`);
}

/** Documents of one file, by extension: .jsonl (one row a line), .json (an array of rows), anything else as text. */
export function readTextDocuments(file: string): TextDocument[] {
  if (!existsSync(file) || !statSync(file).isFile()) throw new UserError(`${file}: no such file (expected .txt, .jsonl or .json)`);
  const raw = readFileSync(file, "utf8");
  const ext = extname(file).toLowerCase();
  if (ext === ".jsonl") {
    const docs: TextDocument[] = [];
    raw.split("\n").forEach((l, i) => {
      if (l.trim() === "") return;
      let row: unknown;
      try {
        row = JSON.parse(l);
      } catch (e) {
        throw new UserError(`${at(file, i + 1)}: invalid JSON (${(e as Error).message})`);
      }
      const d = rowDocument(row, file, i + 1, at(file, i + 1));
      if (d) docs.push(d);
    });
    return docs;
  }
  if (ext === ".json") {
    let rows: unknown;
    try {
      rows = JSON.parse(raw);
    } catch (e) {
      throw new UserError(`${file}: invalid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(rows)) throw new UserError(`${file}: expected a JSON array of objects with "text"`);
    return rows.map((r, i) => rowDocument(r, file, undefined, `${file}: row ${i}`)).filter((d) => d !== null);
  }
  return paragraphs(raw).map((p) => ({ prompt: "", completion: p, source: { file } }));
}
