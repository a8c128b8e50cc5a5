// What evaluation writes into a run directory, read back by `poet report`: win rates of a model's generations
// against a baseline under a judge, and the reward-generation-gap analysis. Plain JSON files, one per kind.

/** RUN_DIR/winrates.json: a list, one entry per (judge, baseline). */
export interface WinRate {
  /** "lexicon" (VADER), "reward-model:<dir>", or "llm:<model>@<url>". */
  judge: string;
  /** Directory of the model (or name) whose generations are the baseline. */
  baseline: string;
  /** Number of held-out prompts compared. */
  n: number;
  /** Fraction of prompts where the model's generation beats the baseline's (ties count half). */
  win_rate: number;
  /** 95% confidence interval of win_rate. */
  ci_low: number;
  ci_high: number;
  /** Length-controlled win rate, as AlpacaEval 2 computes it (length difference's effect removed). */
  lc_win_rate: number;
  lc_ci_low?: number;
  lc_ci_high?: number;
  /** Mean judge score of the model's generations (lexicon or reward model; absent for pairwise LLM judges). */
  mean_reward?: number;
  mean_reward_baseline?: number;
  /** Mean generation length in tokens. */
  mean_length: number;
  mean_length_baseline: number;
  /** Prompts where the model's generation is preferred (> 0.5), tied (= 0.5), dispreferred (< 0.5). */
  wins?: number;
  ties?: number;
  losses?: number;
  /** Pairwise (LLM) judge answers that could not be parsed, counted as ties; each prompt is asked twice. */
  unparsed?: number;
}

/** RUN_DIR/analysis.json: the reward-generation-gap analysis of one model (after the POET paper, sec. 3). */
export interface GapAnalysis {
  /** Mean cross-entropy (nats) of chosen and rejected response tokens by position (0-based), up to a cap. */
  per_position_ce: { position: number; chosen: number; rejected: number; count: number }[];
  /** Implicit reward's margin and accuracy when both responses are cut to their first k tokens. */
  reward_by_prefix: { k: number; margin: number; accuracy: number; pairs: number }[];
  /** Judge score of continuations sampled from the model after the first k tokens of its own responses. */
  prefix_quality: { k: number; score: number; n: number }[];
  /** How it was made (written by `poet analyze`; optional so hand-written or older files still load). */
  meta?: GapAnalysisMeta;
}

export interface GapAnalysisMeta {
  model: string;
  ref_model: string;
  data: string;
  /** Number of pairs measured (after invalid rows were skipped). */
  pairs: number;
  /** beta of the implicit reward beta * (log pi - log ref); with reference_free, beta * mean log pi. */
  beta: number;
  reference_free: boolean;
  truncation: string;
  /** The judge of prefix_quality, or null when prefix quality was not measured (and why, in `note`). */
  judge: string | null;
  temperature: number;
  max_new_tokens: number;
  seed: number;
  note?: string;
}
