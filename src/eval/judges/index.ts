// Judges by name: "lexicon" | "reward-model:DIR" | "llm:MODEL@URL", as --judge takes them and winrates.json
// records them. Unknown or misspelt kinds get a did-you-mean.
import { didYouMean } from "../../did-you-mean.js";
import { UserError } from "../../errors.js";
import { lexiconJudge } from "./lexicon.js";
import { LlmJudge, type LlmJudgeOptions } from "./llm.js";
import { RewardModelJudge } from "./reward-model.js";
import type { Judge } from "./types.js";

export type JudgeKind = "lexicon" | "reward-model" | "llm";

const USAGE = 'a judge is "lexicon", "reward-model:DIR" or "llm:MODEL@URL" (e.g. llm:tiny-gpt2@http://127.0.0.1:8000/v1)';

/** How each kind is built from what follows its "kind:" prefix. */
const BUILDERS: { [K in JudgeKind]: (arg: string, spec: string, llm: LlmSettings) => Judge } = {
  lexicon: (arg, spec) => {
    if (arg !== "") throw new UserError(`judge "${spec}": lexicon takes no argument; ${USAGE}`);
    return lexiconJudge;
  },
  "reward-model": (arg, spec) => {
    if (arg === "") throw new UserError(`judge "${spec}": give the reward model directory, reward-model:DIR; ${USAGE}`);
    return new RewardModelJudge(arg);
  },
  llm: (arg, spec, llm) => {
    // the URL starts at the "@" that precedes http:// or https:// (model names may hold "@", URLs rarely do)
    const m = /^(.*?)@(https?:\/\/.*)$/.exec(arg);
    if (!m || m[1] === "") throw new UserError(`judge "${spec}": expected llm:MODEL@URL with an http(s) URL, e.g. llm:gpt-4o-mini@https://api.openai.com/v1`);
    return new LlmJudge({ ...llm, model: m[1]!, url: m[2]! });
  },
};

/** Other names people reach for, mapped to the kind to suggest. */
const ALIASES: [string, JudgeKind][] = [["reward", "reward-model"], ["rm", "reward-model"], ["vader", "lexicon"], ["sentiment", "lexicon"], ["openai", "llm"]];

/** Request settings for LLM judges (everything but the model and URL). */
export type LlmSettings = Omit<LlmJudgeOptions, "model" | "url">;

/** The judge a spec names; UserError (with a did-you-mean) for anything else. */
export function judgeFromSpec(spec: string, llm: LlmSettings = {}): Judge {
  const colon = spec.indexOf(":");
  const kind = colon < 0 ? spec : spec.slice(0, colon), arg = colon < 0 ? "" : spec.slice(colon + 1);
  if (Object.hasOwn(BUILDERS, kind)) return BUILDERS[kind as JudgeKind](arg, spec, llm);
  const guess = didYouMean(kind, new Map([...Object.keys(BUILDERS).map((k): [string, string] => [k, k]), ...ALIASES]));
  throw new UserError(`unknown judge "${spec}"${guess ? ` (did you mean ${guess}${guess === "lexicon" ? "" : colon < 0 ? ":..." : `:${arg}`}?)` : ""}; ${USAGE}`);
}

export { lexiconJudge, lexiconScores } from "./lexicon.js";
export { LlmJudge } from "./llm.js";
export { RewardModelJudge } from "./reward-model.js";
export type { Judge } from "./types.js";
