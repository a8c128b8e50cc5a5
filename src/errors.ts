// Errors a user can cause (bad file, bad flag, bad config). The CLI prints their message alone, without
// a stack trace, and exits non-zero; every other error is a bug and keeps its stack.

/** A problem in the user's input: the message names the file, line or key, and says what to do. */
export class UserError extends Error {
  override name = "UserError";
  constructor(message: string) {
    super(message);
  }
}

/** `file:line: message` — the location prefix every data error uses. */
export function at(file: string, line?: number): string {
  return line === undefined ? file : `${file}:${line}`;
}
