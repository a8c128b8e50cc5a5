// TRL's max_length / max_prompt_length handling (DPOTrainer.tokenize_row, as in the TRL versions that the
// alignment-handbook, SimPO and POET code use): when prompt + the longer completion exceed max_length, the prompt
// keeps its last max_prompt_length tokens ("keep_end"); if still too long, both completions are cut to
// max_length - max_prompt_length tokens. Pure; counts what it changed so the trainer can log it.
import type { EncodedPair } from "./types.js";

export interface LengthLimits {
  maxLength: number | null;
  maxPromptLength: number | null;
}

export interface LimitResult {
  pairs: EncodedPair[];
  promptsTruncated: number;
  completionsTruncated: number;
}

export function applyLengthLimits(pairs: readonly EncodedPair[], limits: LengthLimits): LimitResult {
  const { maxLength, maxPromptLength } = limits;
  let promptsTruncated = 0, completionsTruncated = 0;
  const out = pairs.map((p) => {
    if (maxLength === null) return p;
    let { promptIds, chosenIds, rejectedIds } = p;
    const longer = () => Math.max(chosenIds.length, rejectedIds.length);
    if (promptIds.length + longer() > maxLength && maxPromptLength !== null && promptIds.length > maxPromptLength) {
      promptIds = promptIds.slice(-maxPromptLength);
      promptsTruncated++;
    }
    if (promptIds.length + longer() > maxLength) {
      const keep = Math.max(1, maxLength - (maxPromptLength ?? promptIds.length));
      chosenIds = chosenIds.slice(0, keep);
      rejectedIds = rejectedIds.slice(0, keep);
      completionsTruncated++;
    }
    return promptIds === p.promptIds && chosenIds === p.chosenIds && rejectedIds === p.rejectedIds
      ? p : { ...p, promptIds, chosenIds, rejectedIds };
  });
  return { pairs: out, promptsTruncated, completionsTruncated };
}
