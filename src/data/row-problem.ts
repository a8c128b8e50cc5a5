// The error for one invalid data row: what is wrong with it, without its location (the caller adds
// `file:line` and decides whether to skip the row). Not for problems that would hit every row.

/** One row is invalid; `message` says what is wrong and how to fix it, without the location. */
export class RowProblem extends Error {
  override name = "RowProblem";
}
