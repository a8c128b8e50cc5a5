// The shapes preference data takes between reading, tokenizing and batching. No I/O here.

/** Where a row came from, for error messages: `file:line` (line is 1-based; for JSON arrays and Parquet, the row index + 1). */
export interface RowSource {
  file: string;
  line: number;
}

/** A preference pair after tokenization: token ids exactly as the model sees them. */
export interface EncodedPair {
  promptIds: number[];
  chosenIds: number[];
  rejectedIds: number[];
  source: RowSource;
}

/** How completions are truncated before log-probs are taken (the reference model sees the same). */
export type Truncation = "none" | "poet";
