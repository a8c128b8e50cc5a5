// The reward-model judge: a pointwise judge whose score is a trained Bradley-Terry reward model's r(prompt +
// completion) (reward-model.ts; trained by `poet reward`, or any one-label *ForSequenceClassification checkpoint
// poet can load). Text is encoded as encode.ts encodes text rows for training (prompt and completion tokenized
// without special tokens, EOS after the completion), so the judge sees what the model was trained on. Also scores
// the rows of a data file (`poet reward --score`): preference pairs exactly as training encodes them, completions
// as the judge does.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { encodePairs } from "../../data/encode.js";
import type { RawRow } from "../../data/rows.js";
import { loadTokenizer, type PoetTokenizer } from "../../data/tokenizer.js";
import { UserError, at } from "../../errors.js";
import { pairRewardSequences } from "../reward-model-train.js";
import { checkRewardSequence, loadRewardModel, scoreSequences, type RewardModel } from "../reward-model.js";
import type { Judge } from "./types.js";

/** Token ids the reward model scores for (prompt, completion): prompt, completion, EOS. */
export function rewardInputIds(tok: PoetTokenizer, prompt: string, completion: string): number[] {
  if (tok.eosTokenId === null) throw new UserError(`${tok.dir}: the tokenizer has no EOS token; set eos_token in tokenizer_config.json`);
  return [...tok.encode(prompt, { addSpecialTokens: false }), ...tok.encode(completion, { addSpecialTokens: false }), tok.eosTokenId];
}

export class RewardModelJudge implements Judge {
  readonly name: string;
  private loaded: { rm: RewardModel; tok: PoetTokenizer } | null = null;

  /** Checks the directory now; the model itself is loaded on the first score call. */
  constructor(readonly dir: string) {
    if (!existsSync(join(dir, "config.json")))
      throw new UserError(`reward-model:${dir}: no config.json in ${dir}: give a reward model directory (train one with poet reward --model LM_DIR --data PAIRS --output-dir DIR)`);
    this.name = `reward-model:${dir}`;
  }

  private async load(): Promise<{ rm: RewardModel; tok: PoetTokenizer }> {
    if (this.loaded) return this.loaded;
    const rm = loadRewardModel(this.dir);
    const tok = await loadTokenizer(this.dir);
    if (!tok) throw new UserError(`reward-model:${this.dir}: no tokenizer.json in ${this.dir}: the judge scores text, so the reward model needs its tokenizer files`);
    this.loaded = { rm, tok };
    return this.loaded;
  }

  async score(prompts: readonly string[], completions: readonly string[]): Promise<number[]> {
    if (prompts.length !== completions.length) throw new Error(`RewardModelJudge.score: ${prompts.length} prompts, ${completions.length} completions`);
    const { rm, tok } = await this.load();
    const seqs = prompts.map((p, i) => {
      const ids = rewardInputIds(tok, p, completions[i]!);
      checkRewardSequence(rm, ids, `${this.name}: prompt ${i + 1}`);
      return ids;
    });
    return [...scoreSequences(rm, seqs)];
  }
}

/** A row's rewards: `reward` for a completion row, `reward_chosen` and `reward_rejected` for a preference pair. */
export type RowRewards = { reward: number } | { reward_chosen: number; reward_rejected: number };

const isIds = (x: unknown): x is number[] => Array.isArray(x) && x.every(Number.isInteger);

/**
 * Rewards of data rows: preference pairs (chosen and rejected, any format poet trains on) encoded as training
 * encodes them; completion rows (`prompt` + `completion` strings, or `prompt_input_ids` + `completion_input_ids`
 * with EOS appended when the completion does not end with it, as poet generate writes truncated ones).
 */
export function scoreRewardRows(rm: RewardModel, tok: PoetTokenizer | null, rows: readonly RawRow[]): RowRewards[] {
  const seqs: number[][] = [], kinds: ("pair" | "completion")[] = [];
  const eos = tok?.eosTokenId ?? null;
  for (const r of rows) {
    const { row, source } = r, where = at(source.file, source.line);
    if (row.chosen !== undefined || row.chosen_input_ids !== undefined) {
      const [pair] = encodePairs([r], { tokenizer: tok, vocabSize: rm.backbone.vocabSize, modelDir: tok?.dir ?? "the reward model dir" }).pairs;
      seqs.push(...pairRewardSequences(pair!));
      kinds.push("pair");
    } else if (typeof row.prompt === "string" && typeof row.completion === "string") {
      if (!tok) throw new UserError(`${where}: text rows need the reward model's tokenizer, but it has no tokenizer.json`);
      seqs.push(rewardInputIds(tok, row.prompt, row.completion));
      kinds.push("completion");
    } else if (isIds(row.prompt_input_ids) && isIds(row.completion_input_ids)) {
      const c = row.completion_input_ids;
      if (eos === null) throw new UserError(`${where}: no EOS token known to end the completion with: give the reward model its tokenizer files`);
      seqs.push([...row.prompt_input_ids, ...c, ...(c.at(-1) === eos ? [] : [eos])]);
      kinds.push("completion");
    } else {
      throw new UserError(`${where}: nothing to score: a row needs chosen and rejected (a preference pair), prompt and completion strings, or prompt_input_ids and completion_input_ids`);
    }
  }
  let k = 0;
  for (const [i, kind] of kinds.entries())
    for (let j = 0; j < (kind === "pair" ? 2 : 1); j++) checkRewardSequence(rm, seqs[k++]!, at(rows[i]!.source.file, rows[i]!.source.line));
  const r = scoreSequences(rm, seqs);
  k = 0;
  return kinds.map((kind) => (kind === "pair" ? { reward_chosen: r[k++]!, reward_rejected: r[k++]! } : { reward: r[k++]! }));
}
