// Prompts to generate from, read from any row format poet accepts: `prompt_input_ids` (used as given), a `prompt`
// string (wrapped as a user turn and rendered with the chat template when the tokenizer has one), a `prompt`
// message list, or preference rows whose chosen/rejected message lists share the prompt turns.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { ChatMessage } from "../data/chat-template.js";
import { extractImplicitPrompt, jsonEqual } from "../data/implicit-prompt.js";
import { readRows, type RawRow } from "../data/rows.js";
import { loadTokenizer, type PoetTokenizer } from "../data/tokenizer.js";
import { UserError, at } from "../errors.js";

export interface PromptSet {
  rows: RawRow[];
  promptIds: number[][];
  tokenizer: PoetTokenizer | null;
  eosIds: number[];
}

const isMessages = (x: unknown): x is ChatMessage[] =>
  Array.isArray(x) && x.length > 0 && x.every((m) => typeof m === "object" && m !== null && "role" in m && "content" in m);

/** EOS ids from the tokenizer, config.json and generation_config.json (which may list several). */
export function eosIdsOf(modelDir: string, tokenizer: PoetTokenizer | null): number[] {
  const ids = new Set<number>();
  if (tokenizer?.eosTokenId != null) ids.add(tokenizer.eosTokenId);
  for (const f of ["config.json", "generation_config.json"]) {
    const p = join(modelDir, f);
    if (!existsSync(p)) continue;
    const e = (JSON.parse(readFileSync(p, "utf8")) as { eos_token_id?: unknown }).eos_token_id;
    for (const x of Array.isArray(e) ? e : [e]) if (Number.isInteger(x)) ids.add(x as number);
  }
  return [...ids];
}

export async function readPrompts(file: string, modelDir: string, vocabSize: number): Promise<PromptSet> {
  const rows = await readRows(file);
  const tokenizer = await loadTokenizer(modelDir);
  const needTok = (where: string) => {
    if (!tokenizer) throw new UserError(`${where}: text prompts need a tokenizer, but ${modelDir} has no tokenizer.json: give prompt_input_ids`);
    return tokenizer;
  };
  const render = (where: string, messages: ChatMessage[]) => {
    const tok = needTok(where);
    if (!tok.chatTemplate) throw new UserError(`${where}: message-list prompts need a chat template, but ${modelDir} has none`);
    return tok.encode(tok.applyChatTemplate(messages, { addGenerationPrompt: true }), { addSpecialTokens: false });
  };
  const promptIds = rows.map(({ row, source }) => {
    const where = at(source.file, source.line);
    let ids: number[];
    if (row.prompt_input_ids !== undefined) {
      const p = row.prompt_input_ids;
      if (!Array.isArray(p) || p.some((x) => !Number.isInteger(x)))
        throw new UserError(`${where}: prompt_input_ids must be a list of integer token ids`);
      ids = p as number[];
    } else if (typeof row.prompt === "string") {
      const tok = needTok(where);
      ids = tok.chatTemplate
        ? render(where, [{ role: "user", content: row.prompt }])
        : tok.encode(row.prompt, { addSpecialTokens: true });
    } else if (isMessages(row.prompt)) {
      ids = render(where, row.prompt);
    } else if (isMessages(row.chosen) && isMessages(row.rejected)) {
      const split = extractImplicitPrompt(row.chosen, row.rejected, jsonEqual);
      if (split.prompt.length === 0) throw new UserError(`${where}: chosen and rejected share no prompt turns`);
      ids = render(where, split.prompt);
    } else {
      throw new UserError(`${where}: no prompt: a row needs prompt_input_ids, a prompt string, a prompt message list, or chosen/rejected message lists sharing their prompt turns`);
    }
    if (ids.length === 0) throw new UserError(`${where}: the prompt is empty`);
    const bad = ids.find((x) => x < 0 || x >= vocabSize);
    if (bad !== undefined) throw new UserError(`${where}: token id ${bad} is outside the model's vocabulary (size ${vocabSize})`);
    return ids;
  });
  return { rows, promptIds, tokenizer, eosIds: eosIdsOf(modelDir, tokenizer) };
}
