// Formats where a row came from for error messages. Knows which file kinds number rows rather than
// text lines; does not read files or build whole messages.

import { at } from "../errors.js";
import type { RowSource } from "./types.js";

/**
 * `file:line` for a row's location. For `.json` and `.parquet` files `line` is the row's index + 1,
 * not a text line, so the label says so: `pairs.parquet:3 (row 3)`.
 */
export function rowLabel(source: RowSource): string {
  const label = at(source.file, source.line);
  return countsRows(source.file) ? `${label} (row ${source.line})` : label;
}

/** Whether `line` in a RowSource for this file is a row number (JSON array, Parquet) rather than a text line. */
function countsRows(file: string): boolean {
  const lower = file.toLowerCase();
  return lower.endsWith(".json") || lower.endsWith(".parquet");
}
