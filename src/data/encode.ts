// Turns raw rows into token-id pairs the way TRL's DPOTrainer does (chat template, then tokenize without
// special tokens, then EOS after each completion). Does not truncate (truncation.ts) or batch.

import { UserError } from "../errors.js";
import { renderChatPair, type TextPair } from "./chat-pair.js";
import type { RawRow } from "./rows.js";
import { parsePreferenceRow, type PreferenceRow } from "./row-format.js";
import { rowLabel } from "./row-label.js";
import { RowProblem } from "./row-problem.js";
import type { PoetTokenizer } from "./tokenizer.js";
import type { EncodedPair, RowSource } from "./types.js";

/** How to encode rows. */
export interface EncodeOptions {
  /** The model's tokenizer; null when the model dir has none (then only pre-tokenized rows work). */
  tokenizer: PoetTokenizer | null;
  /** The model's vocabulary size (embedding rows): every id must be below it. */
  vocabSize: number;
  /** Skip invalid rows (counted, first messages kept) instead of throwing on the first. Default false. */
  skipInvalid?: boolean;
  /** The model directory, to name in messages when there is no tokenizer. */
  modelDir?: string;
}

/** Encoded pairs, in row order, and what was skipped. */
export interface EncodeResult {
  pairs: EncodedPair[];
  /** Number of invalid rows skipped (0 unless skipInvalid). */
  skipped: number;
  /** The first MAX_REPORTED_ERRORS messages (each `file:line: ...`) of the skipped rows. */
  errors: string[];
}

/** How many skipped-row messages EncodeResult.errors keeps. */
export const MAX_REPORTED_ERRORS = 10;

/**
 * Encodes each row:
 * - pre-tokenized (`prompt_input_ids`, `chosen_input_ids`, `rejected_input_ids`): ids used as given.
 * - text (`prompt`, `chosen`, `rejected` strings): each tokenized without special tokens, EOS appended
 *   to each completion (TRL's tokenize_row for decoder-only models).
 * - conversational (message lists): rendered with the chat template (chat-pair.ts), then as text.
 * An invalid row is a UserError `file:line: ...` (or skipped, with skipInvalid). Problems that would hit
 * every row (no tokenizer for text rows, no chat template, no EOS) always throw, naming the first such row;
 * so does finding no valid row at all.
 */
export function encodePairs(rows: readonly RawRow[], options: EncodeOptions): EncodeResult {
  const { tokenizer, vocabSize, skipInvalid = false } = options;
  if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new RangeError(`vocabSize must be a positive integer, got ${vocabSize}`);
  const modelDir = tokenizer?.dir ?? options.modelDir ?? "the model dir";
  const pairs: EncodedPair[] = [];
  const errors: string[] = [];
  let skipped = 0;
  for (const { row, source } of rows) {
    try {
      const parsed = parsePreferenceRow(row);
      pairs.push(encodeRow(parsed, source, tokenizer, vocabSize, modelDir));
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err;
      const message = `${rowLabel(source)}: ${err.message}`;
      if (!skipInvalid) throw new UserError(message);
      skipped++;
      if (errors.length < MAX_REPORTED_ERRORS) errors.push(message);
    }
  }
  if (pairs.length === 0 && skipped > 0) {
    const file = rows[0]?.source.file ?? "the data";
    throw new UserError(`${file}: all ${skipped} rows are invalid; the first: ${errors[0] ?? ""}`);
  }
  return { pairs, skipped, errors };
}

function encodeRow(
  parsed: PreferenceRow,
  source: RowSource,
  tokenizer: PoetTokenizer | null,
  vocabSize: number,
  modelDir: string,
): EncodedPair {
  if (parsed.format === "tokens") {
    checkVocabulary(parsed.promptIds, "prompt_input_ids", vocabSize);
    checkVocabulary(parsed.chosenIds, "chosen_input_ids", vocabSize);
    checkVocabulary(parsed.rejectedIds, "rejected_input_ids", vocabSize);
    return { promptIds: parsed.promptIds, chosenIds: parsed.chosenIds, rejectedIds: parsed.rejectedIds, source };
  }
  const label = rowLabel(source);
  if (tokenizer === null) {
    throw new UserError(
      `${label}: ${parsed.format === "chat" ? "conversational" : "text"} rows need a tokenizer, but ${modelDir} has no tokenizer.json: ` +
        "give pre-tokenized rows or a model dir with a tokenizer",
    );
  }
  const eos = tokenizer.eosTokenId;
  if (eos === null) {
    throw new UserError(
      `${label}: each completion must end with the EOS token, but the tokenizer in ${tokenizer.dir} has none: ` +
        "set eos_token in tokenizer_config.json (or eos_token_id in config.json)",
    );
  }
  if (eos >= vocabSize) {
    throw new UserError(`${label}: the EOS token id ${eos} of ${tokenizer.dir} is outside the model's vocabulary (size ${vocabSize}): check that tokenizer and model match`);
  }
  const text: TextPair = parsed.format === "chat" ? chatText(parsed, tokenizer, label) : parsed;
  const tokens = (part: string) => tokenizer.encode(part, { addSpecialTokens: false });
  const promptIds = tokens(text.prompt);
  const chosenIds = [...tokens(text.chosen), eos];
  const rejectedIds = [...tokens(text.rejected), eos];
  const what = `the tokenizer in ${tokenizer.dir}`;
  checkVocabulary(promptIds, "the tokenized prompt", vocabSize, what);
  checkVocabulary(chosenIds, "the tokenized chosen", vocabSize, what);
  checkVocabulary(rejectedIds, "the tokenized rejected", vocabSize, what);
  return { promptIds, chosenIds, rejectedIds, source };
}

/** Renders a conversational row with the model's chat template (UserError when it has none). */
function chatText(parsed: Extract<PreferenceRow, { format: "chat" }>, tokenizer: PoetTokenizer, label: string): TextPair {
  if (tokenizer.chatTemplate === null) {
    throw new UserError(
      `${label}: conversational rows need a chat template, but ${tokenizer.dir} has none: ` +
        'add "chat_template" to tokenizer_config.json (or a chat_template.jinja file), or give text or pre-tokenized rows',
    );
  }
  return renderChatPair((messages, options) => tokenizer.applyChatTemplate(messages, options), parsed.prompt, parsed.chosen, parsed.rejected);
}

/** Throws RowProblem for the first id >= vocabSize (ids are already known to be integers >= 0). */
function checkVocabulary(ids: readonly number[], where: string, vocabSize: number, producer?: string): void {
  for (const id of ids) {
    if (id >= vocabSize) {
      const fix = producer === undefined ? "were these ids made with this model's tokenizer?" : `is ${producer} the model's?`;
      throw new RowProblem(`token id ${id} in ${where} is outside the model's vocabulary (size ${vocabSize}): ${fix}`);
    }
  }
}
