// Reads a preference data file and encodes it for a model directory: readRows + loadTokenizer +
// encodePairs. Does not truncate or batch.

import { readRows } from "./rows.js";
import { encodePairs, type EncodeResult } from "./encode.js";
import { loadTokenizer } from "./tokenizer.js";

/** Where the data is and which model it is for. */
export interface LoadPairsOptions {
  /** The model directory (its tokenizer.json / tokenizer_config.json are used for text and chat rows). */
  modelDir: string;
  /** The model's vocabulary size: every token id must be below it. */
  vocabSize: number;
  /** Skip invalid rows instead of stopping at the first. Default false. */
  skipInvalid?: boolean;
}

/** Reads `file` (.jsonl, .json or .parquet) and encodes every row; see readRows and encodePairs. */
export async function loadPairs(file: string, options: LoadPairsOptions): Promise<EncodeResult> {
  const rows = await readRows(file);
  const tokenizer = await loadTokenizer(options.modelDir);
  return encodePairs(rows, {
    tokenizer,
    vocabSize: options.vocabSize,
    skipInvalid: options.skipInvalid ?? false,
    modelDir: options.modelDir,
  });
}
