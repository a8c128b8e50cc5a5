// Tests readRows on every file format (.jsonl, .json, .parquet) and every way a file can be unreadable.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parquetWriteBuffer } from "hyparquet-writer";
import { UserError } from "../src/errors.js";
import { readRows } from "../src/data/rows.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "poet-data-rows-"));
});

async function file(name: string, content: string | Uint8Array | ArrayBuffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content instanceof ArrayBuffer ? new Uint8Array(content) : content);
  return path;
}

/** Asserts that `promise` rejects with a UserError whose message contains every one of `parts`. */
async function rejectsWith(promise: Promise<unknown>, ...parts: string[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    for (const part of parts) assert.ok(err.message.includes(part), `"${err.message}" lacks "${part}"`);
    return true;
  });
}

describe("readRows .jsonl", () => {
  it("reads objects with 1-based line numbers, skipping blank lines, CRLF and a BOM", async () => {
    const path = await file("ok.jsonl", '\uFEFF{"a": 1}\r\n\r\n   \n{"a": 2}\n{"a": "é"}\n');
    const rows = await readRows(path);
    assert.deepEqual(
      rows.map((r) => [r.row["a"], r.source.line, r.source.file]),
      [[1, 1, path], [2, 4, path], ["é", 5, path]],
    );
  });

  it("names file:line for a line that is not JSON", async () => {
    const path = await file("bad.jsonl", '{"a": 1}\n\n{"a": }\n');
    await rejectsWith(readRows(path), `${path}:3: invalid JSON (`, "one JSON object");
  });

  it("names file:line for a line that is JSON but not an object", async () => {
    const path = await file("array.jsonl", '{"a": 1}\n[1, 2]\n');
    await rejectsWith(readRows(path), `${path}:2: expected a JSON object, got an array`);
  });

  it("names file:line for invalid UTF-8", async () => {
    const bytes = Buffer.concat([Buffer.from('{"a": "ok"}\n{"a": "ok"}\n{"a": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    const path = await file("latin.jsonl", bytes);
    await rejectsWith(readRows(path), `${path}:3: invalid UTF-8`);
  });

  it("refuses a file with no rows", async () => {
    await rejectsWith(readRows(await file("empty.jsonl", "\n  \n")), "empty.jsonl: the file has no rows");
  });
});

describe("readRows .json", () => {
  it("reads a top-level array; line is the row index + 1", async () => {
    const rows = await readRows(await file("array.json", '[{"a": 1}, {"a": 2}]'));
    assert.deepEqual(rows.map((r) => [r.row["a"], r.source.line]), [[1, 1], [2, 2]]);
  });

  it('reads {"data": [...]} and {"rows": [...]}', async () => {
    for (const key of ["data", "rows"]) {
      const rows = await readRows(await file(`${key}.json`, JSON.stringify({ [key]: [{ a: 1 }, { a: 2 }, { a: 3 }] })));
      assert.deepEqual(rows.map((r) => r.row["a"]), [1, 2, 3]);
    }
  });

  it("unwraps datasets-server rows ({row_idx, row})", async () => {
    const body = { rows: [{ row_idx: 0, row: { a: "x" }, truncated_cells: [] }] };
    const rows = await readRows(await file("server.json", JSON.stringify(body)));
    assert.deepEqual(rows[0]?.row, { a: "x" });
  });

  it("reports a non-object element as row N", async () => {
    const path = await file("mixed.json", '[{"a": 1}, "oops"]');
    await rejectsWith(readRows(path), `${path}:2 (row 2): expected a JSON object, got a string`);
  });

  it("reports invalid JSON with its text line, and hints at .jsonl", async () => {
    const path = await file("lines.json", '{"a": 1}\n{"a": 2}\n');
    await rejectsWith(readRows(path), `${path}:2: invalid JSON`, "name it .jsonl");
  });

  it("refuses JSON that holds no rows", async () => {
    await rejectsWith(readRows(await file("object.json", '{"x": 1}')), 'object.json: expected a JSON array of row objects, or an object with a "data" or "rows" array');
    await rejectsWith(readRows(await file("none.json", "[]")), "none.json: the file has no rows");
  });

  it("names the line of invalid UTF-8", async () => {
    const bytes = Buffer.concat([Buffer.from('[\n{"a": "'), Buffer.from([0xff]), Buffer.from('"}\n]')]);
    const path = await file("latin.json", bytes);
    await rejectsWith(readRows(path), `${path}:2: invalid UTF-8`);
  });
});

describe("readRows .parquet", () => {
  // Real nested Parquet types, as Hugging Face datasets writes them: list<int64> and list<struct<role, content>>.
  const schema = [
    { name: "root", num_children: 3 },
    { name: "prompt", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    { name: "chosen_input_ids", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { name: "element", type: "INT64", repetition_type: "OPTIONAL" },
    { name: "chosen", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    { name: "element", repetition_type: "OPTIONAL", num_children: 2 },
    { name: "role", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    { name: "content", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
  ] as const;

  it("reads strings, int64 lists and message lists; line is the row index + 1", async () => {
    const buffer = parquetWriteBuffer({
      schema: schema as never,
      columnData: [
        { name: "prompt", data: ["Hi", "Yo"] },
        { name: "chosen_input_ids", data: [[1n, 2n], [3n]] },
        { name: "chosen", data: [[{ role: "user", content: "héllo" }], [{ role: "assistant", content: "x" }]] },
      ],
    });
    const rows = await readRows(await file("ok.parquet", buffer));
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0]?.row, { prompt: "Hi", chosen_input_ids: [1n, 2n], chosen: [{ role: "user", content: "héllo" }] });
    assert.deepEqual(rows.map((r) => r.source.line), [1, 2]);
  });

  it("names the row and column of invalid UTF-8", async () => {
    const buffer = parquetWriteBuffer({
      columnData: [{ name: "chosen", data: ["fine", new Uint8Array([0x61, 0xff, 0x62])], type: "STRING" }],
    });
    const path = await file("latin.parquet", buffer);
    await rejectsWith(readRows(path), `${path}:2 (row 2): column "chosen": invalid UTF-8`);
  });

  it("refuses a file that is not Parquet, and one with no rows", async () => {
    await rejectsWith(readRows(await file("junk.parquet", "not parquet at all")), "junk.parquet: cannot read this Parquet file");
    const empty = parquetWriteBuffer({ columnData: [{ name: "chosen", data: [], type: "STRING" }] });
    await rejectsWith(readRows(await file("empty.parquet", empty)), "empty.parquet: the file has no rows");
  });
});

describe("readRows errors", () => {
  it("refuses an unknown extension", async () => {
    await rejectsWith(readRows(await file("pairs.csv", "a,b")), 'pairs.csv: unsupported data file (extension ".csv")', ".jsonl, .json or .parquet");
  });

  it("names a missing file and a directory", async () => {
    await rejectsWith(readRows(join(dir, "nope.jsonl")), "nope.jsonl: no such file");
    await mkdir(join(dir, "folder.jsonl"));
    await rejectsWith(readRows(join(dir, "folder.jsonl")), "folder.jsonl: is a directory");
  });
});
