// Writing a file so that no reader, and no crash, ever sees half of it: the bytes go to a temporary file beside it,
// which is then renamed over it (rename is atomic on one file system). Parent directories are created.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file) || ".", { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** One JSON object a line, newline-terminated (an empty file for no rows), written atomically. */
export function writeJsonLines(file: string, rows: readonly unknown[]): void {
  writeFileAtomic(file, rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : ""));
}
