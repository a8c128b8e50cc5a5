// Reads the raw rows of a preference data file (.jsonl, .json or .parquet), each with its location.
// Does not look inside rows: which fields a row needs is decided in row-format.ts.

import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { UserError, at } from "../errors.js";
import { readParquetRows } from "./parquet-rows.js";
import { rowLabel } from "./row-label.js";
import type { RowSource } from "./types.js";
import { decodeUtf8File } from "./utf8.js";

/** One row of a data file as read, before any validation, and where it came from. */
export interface RawRow {
  row: Record<string, unknown>;
  source: RowSource;
}

/** The file extensions readRows understands. */
export const DATA_EXTENSIONS = [".jsonl", ".json", ".parquet"] as const;

/**
 * Reads every row of `file`, in file order.
 * - `.jsonl`: one JSON object per line; blank lines are skipped; `source.line` is the 1-based text line.
 * - `.json`: an array of objects, or `{"data": [...]}` / `{"rows": [...]}` (elements of the Hugging Face
 *   datasets-server shape `{"row_idx", "row": {...}}` are unwrapped); `source.line` is the index + 1.
 * - `.parquet`: `source.line` is the row index + 1.
 * Throws a UserError (naming `file:line` where there is one) for a missing file, an unknown extension,
 * invalid UTF-8, invalid JSON, a row that is not an object, or a file with no rows.
 */
export async function readRows(file: string): Promise<RawRow[]> {
  const ext = extname(file).toLowerCase();
  if (!(DATA_EXTENSIONS as readonly string[]).includes(ext)) {
    const got = ext === "" ? "no extension" : `extension "${ext}"`;
    throw new UserError(`${file}: unsupported data file (${got}): give a .jsonl, .json or .parquet file`);
  }
  const bytes = await readDataFile(file);
  const rows =
    ext === ".parquet" ? await readParquetRows(bytes, file)
    : ext === ".json" ? jsonRows(decodeUtf8File(bytes, file), file)
    : jsonlRows(decodeUtf8File(bytes, file), file);
  if (rows.length === 0) {
    throw new UserError(`${file}: the file has no rows: give a file with at least one preference pair`);
  }
  return rows;
}

async function readDataFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError(`${file}: no such file: check the path`);
    if (code === "EISDIR") throw new UserError(`${file}: is a directory: give a .jsonl, .json or .parquet file`);
    if (code === "EACCES" || code === "EPERM") throw new UserError(`${file}: permission denied: make the file readable`);
    throw err;
  }
}

function jsonlRows(text: string, file: string): RawRow[] {
  const rows: RawRow[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").replace(/\r$/, "");
    if (line.trim() === "") continue;
    const source = { file, line: i + 1 };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new UserError(`${at(file, i + 1)}: invalid JSON (${(err as Error).message}): each line must be one JSON object`);
    }
    rows.push({ row: asObject(value, source, "each line must be one JSON object"), source });
  }
  return rows;
}

function jsonRows(text: string, file: string): RawRow[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const line = lineOfPosition(text, message);
    // The usual cause: a JSON Lines file named .json. JSON.parse stops right after the first object.
    const hint = /after JSON/.test(message) ? ": if the file holds one object per line, name it .jsonl" : "";
    throw new UserError(`${at(file, line)}: invalid JSON (${message})${hint}`);
  }
  const list = rowList(value);
  if (list === undefined) {
    throw new UserError(`${file}: expected a JSON array of row objects, or an object with a "data" or "rows" array`);
  }
  return list.map((element, i) => {
    const source = { file, line: i + 1 };
    return { row: asObject(unwrapServerRow(element), source, "each element must be a JSON object"), source };
  });
}

/** The array of rows in a parsed .json file, or undefined if it has none where one is expected. */
function rowList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (isPlainObject(value)) {
    for (const key of ["data", "rows"]) {
      const inner = value[key];
      if (Array.isArray(inner)) return inner;
    }
  }
  return undefined;
}

/** `{"row_idx": 0, "row": {...}, "truncated_cells": []}` (what datasets-server /rows returns) -> the row. */
function unwrapServerRow(element: unknown): unknown {
  if (isPlainObject(element) && "row_idx" in element && isPlainObject(element["row"])) return element["row"];
  return element;
}

function asObject(value: unknown, source: RowSource, rule: string): Record<string, unknown> {
  if (isPlainObject(value)) return value;
  throw new UserError(`${rowLabel(source)}: expected a JSON object, got ${describeJson(value)}: ${rule}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** The 1-based line of the `position N` V8 puts in JSON.parse errors, or undefined when it gives none. */
function lineOfPosition(text: string, message: string): number | undefined {
  const match = /position (\d+)/.exec(message);
  if (match === null) return undefined;
  const position = Number(match[1]);
  let line = 1;
  for (let i = 0; i < position && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
