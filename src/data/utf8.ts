// Strict UTF-8 decoding of data files: invalid bytes are an error naming the line, never silently
// replaced with U+FFFD (which would train the model on garbage). Does not parse what it decodes.

import { UserError, at } from "../errors.js";

// fatal: throw instead of substituting U+FFFD. A leading BOM is dropped (ignoreBOM: false).
const strict = new TextDecoder("utf-8", { fatal: true });

/** Whether `bytes` are valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Decodes `bytes` as UTF-8, or returns undefined if they are not valid UTF-8. */
export function tryDecodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Decodes a whole text file as UTF-8. Invalid bytes throw a UserError `file:line: invalid UTF-8 ...`
 * naming the first text line (1-based) that holds them.
 */
export function decodeUtf8File(bytes: Uint8Array, file: string): string {
  const text = tryDecodeUtf8(bytes);
  if (text !== undefined) return text;
  // Slow path, only on failure: find the first bad line. A multi-byte sequence never contains 0x0A,
  // so splitting on newline bytes cannot cut a valid character in two.
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      if (!isValidUtf8(bytes.subarray(start, i))) break;
      line++;
      start = i + 1;
    }
  }
  throw new UserError(`${at(file, line)}: invalid UTF-8: save the file as UTF-8 (or fix the bytes on this line)`);
}
