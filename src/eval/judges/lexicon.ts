// The lexicon judge: VADER's compound sentiment score in [-1, 1] (Hutto & Gilbert, ICWSM 2014; npm
// vader-sentiment, Apache-2.0). It is the ground-truth reward of the demo's controlled task, as the DPO paper
// (Rafailov et al. 2023, sec. 6.1) scores IMDb continuations with a sentiment classifier. The prompt is not scored.
import { createRequire } from "node:module";
import type { Judge } from "./types.js";

interface Vader { SentimentIntensityAnalyzer: { polarity_scores(text: string): { compound: number } } }
const vader = createRequire(import.meta.url)("vader-sentiment") as Vader;

/** VADER compound score of each text, in [-1, 1]; an empty text scores 0. */
export function lexiconScores(texts: readonly string[]): number[] {
  return texts.map((t) => (t.trim() === "" ? 0 : vader.SentimentIntensityAnalyzer.polarity_scores(t).compound));
}

export const lexiconJudge: Judge = {
  name: "lexicon",
  score: async (_prompts, completions) => lexiconScores(completions),
};
