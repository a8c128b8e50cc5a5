// What a judge is: something that says, for a prompt, which of two completions is better. Pointwise judges
// (a reward function, a reward model) give a score per completion; pairwise judges (an LLM) compare two.
// Win rates (winrate.ts) are computed from either kind the same way.

export interface Judge {
  /** How it appears in winrates.json: "lexicon", "reward-model:<dir>", "llm:<model>@<url>". */
  readonly name: string;
  /** Pointwise: one score per (prompt, completion), higher is better. */
  score?(prompts: readonly string[], completions: readonly string[]): Promise<number[]>;
  /** Pairwise: for each prompt, the probability that completion a beats completion b (0.5 = tie). */
  compare?(prompts: readonly string[], a: readonly string[], b: readonly string[]): Promise<number[]>;
}
