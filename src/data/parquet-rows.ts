// Reads the rows of a Parquet file (any codec hyparquet-compressors handles) as plain objects, with
// strict UTF-8: a string cell with invalid bytes is an error naming the row and column.
// Does not check what the columns mean.

import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { UserError } from "../errors.js";
import type { RawRow } from "./rows.js";
import { rowLabel } from "./row-label.js";
import { tryDecodeUtf8 } from "./utf8.js";

/**
 * Stands in for a cell hyparquet could not decode. Its parsers only see bytes, not the row they belong
 * to, so they return this marker and the row scan below reports it with the row's location.
 */
class BadCell {
  constructor(readonly problem: string) {}
}

/** Decodes every row of the Parquet file in `bytes`; `source.line` is the row index + 1. */
export async function readParquetRows(bytes: Uint8Array, file: string): Promise<RawRow[]> {
  // hyparquet reads the file through an ArrayBuffer's slice(); copy only when `bytes` is a view into a larger one.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const buffer = (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) as ArrayBuffer;
  let objects: Record<string, unknown>[];
  try {
    objects = await parquetReadObjects({
      file: buffer,
      compressors,
      rowFormat: "object",
      parsers: {
        stringFromBytes: (cell: Uint8Array | undefined) => (cell === undefined ? cell : decodeCell(cell)),
        jsonFromBytes: (cell: Uint8Array | undefined) => (cell === undefined ? cell : parseJsonCell(cell)),
      },
    });
  } catch (err) {
    throw new UserError(`${file}: cannot read this Parquet file (${(err as Error).message}): check that it is a complete, valid Parquet file`);
  }
  return objects.map((row, i) => {
    const source = { file, line: i + 1 };
    for (const [column, value] of Object.entries(row)) {
      const bad = findBadCell(value);
      if (bad !== undefined) throw new UserError(`${rowLabel(source)}: column "${column}": ${bad.problem}`);
    }
    return { row, source };
  });
}

function decodeCell(cell: Uint8Array): string | BadCell {
  return tryDecodeUtf8(cell) ?? new BadCell("invalid UTF-8 in a string: re-encode the data as UTF-8");
}

function parseJsonCell(cell: Uint8Array): unknown {
  const text = decodeCell(cell);
  if (text instanceof BadCell) return text;
  try {
    return JSON.parse(text);
  } catch (err) {
    return new BadCell(`invalid JSON in a JSON column (${(err as Error).message})`);
  }
}

/** The first BadCell inside a decoded cell (cells nest: lists of structs of strings...). */
function findBadCell(value: unknown): BadCell | undefined {
  if (value instanceof BadCell) return value;
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value) || value instanceof Date) return undefined;
  for (const inner of Array.isArray(value) ? value : Object.values(value)) {
    const bad = findBadCell(inner);
    if (bad !== undefined) return bad;
  }
  return undefined;
}
