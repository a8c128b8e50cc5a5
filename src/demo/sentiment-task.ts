// The demo's controlled task, after the DPO paper's IMDb experiment: continue the opening of a review; the ground-
// truth reward is the sentiment of the continuation (a lexicon judge). Prompts are openings of the UCI review
// sentences; preference pairs are two samples of the base model for the same opening, the one with the higher
// reward chosen, cut at random lengths so that responses vary in length (which is what POET is about).
import { mulberry32 } from "../engine/random.js";
import type { PoetTokenizer } from "../data/tokenizer.js";
import type { CausalLM } from "../models/model.js";
import { generate } from "../eval/generate.js";

/** Openings (the first 2-4 words) of review sentences, deduplicated, split into train and held-out prompts. */
export function reviewOpenings(sentences: readonly string[], seed: number, nTrain: number, nEval: number): { train: string[]; eval: string[] } {
  const u = mulberry32(seed);
  const seen = new Set<string>(), all: string[] = [];
  for (const s of sentences) {
    const words = s.trim().split(/\s+/);
    if (words.length < 6) continue;
    const opening = words.slice(0, 2 + Math.floor(u() * 3)).join(" ");
    if (!seen.has(opening)) {
      seen.add(opening);
      all.push(opening);
    }
  }
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return { eval: all.slice(0, nEval), train: all.slice(nEval, nEval + nTrain) };
}

/** Token ids of a prompt: BOS (the document separator the base model was trained with) then the text. */
export function promptIds(tok: PoetTokenizer, text: string): number[] {
  const ids = tok.encode(text, { addSpecialTokens: false });
  return tok.bosTokenId === null ? ids : [tok.bosTokenId, ...ids];
}

export interface PairRow {
  prompt: string;
  chosen: string;
  rejected: string;
  prompt_input_ids: number[];
  chosen_input_ids: number[];
  rejected_input_ids: number[];
  chosen_reward: number;
  rejected_reward: number;
}

export interface PairOptions {
  samples: number;
  maxNewTokens: number;
  minNewTokens: number;
  temperature: number;
  seed: number;
  eosIds: readonly number[];
  /** Pairs whose rewards differ by less are dropped (too close to call). */
  minRewardGap: number;
}

/** Samples `samples` continuations per prompt, cuts each at a random length, keeps the best and worst as a pair. */
export function buildPairs(model: CausalLM, tok: PoetTokenizer, prompts: readonly string[], reward: (texts: string[]) => number[], o: PairOptions): PairRow[] {
  const u = mulberry32(o.seed ^ 0xbeef);
  const ids = prompts.map((p) => promptIds(tok, p));
  const rep = ids.flatMap((p) => Array.from({ length: o.samples }, () => p));
  const gens = generate(model, rep, { maxNewTokens: o.maxNewTokens, temperature: o.temperature, topP: 1, topK: 0, seed: o.seed, eosIds: o.eosIds, batchSize: 64 })
    .map((g) => {
      const cut = o.minNewTokens + Math.floor(u() * (o.maxNewTokens - o.minNewTokens + 1));
      return g.slice(0, Math.min(cut, g.length));
    });
  const texts = gens.map((g) => tok.decode(g, { skipSpecialTokens: true }));
  const scores = reward(texts);
  const rows: PairRow[] = [];
  prompts.forEach((prompt, i) => {
    let best = -1, worst = -1;
    for (let s = 0; s < o.samples; s++) {
      const j = i * o.samples + s;
      if (gens[j]!.length === 0) continue;
      if (best < 0 || scores[j]! > scores[best]!) best = j;
      if (worst < 0 || scores[j]! < scores[worst]!) worst = j;
    }
    if (best < 0 || scores[best]! - scores[worst]! < o.minRewardGap) return;
    rows.push({
      prompt, chosen: texts[best]!, rejected: texts[worst]!, prompt_input_ids: ids[i]!,
      chosen_input_ids: gens[best]!, rejected_input_ids: gens[worst]!, chosen_reward: scores[best]!, rejected_reward: scores[worst]!,
    });
  });
  return rows;
}
