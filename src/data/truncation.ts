// Truncates a pair's completions before log-probs are taken: POET (both cut to the shorter's length) and two
// ablations that keep a fraction of that length or of each completion's own. Pure; does not touch the prompt or
// limit total sequence length (length-limits.ts does), and parses the CLI/config spelling of a mode.

import { UserError } from "../errors.js";
import type { EncodedPair, Truncation } from "./types.js";

/**
 * How completions are truncated (the reference model sees the same), with n_c = |chosen|, n_r = |rejected| and
 * k = min(n_c, n_r):
 *
 * | mode                | text         | chosen keeps             | rejected keeps           |
 * |---------------------|--------------|--------------------------|--------------------------|
 * | `none`              | `none`       | n_c                      | n_r                      |
 * | `poet`              | `poet`       | k                        | k                        |
 * | `poet-fraction`     | `poet:F`     | keptTokens(F, k)         | keptTokens(F, k)         |
 * | `response-fraction` | `response:F` | keptTokens(F, n_c)       | keptTokens(F, n_r)       |
 *
 * Always a prefix. POET is arXiv 2506.09457; its code (ZeguanXiao/POET) has only the switch `use_poet` (a shared
 * loss mask: both completions scored on the positions where both have tokens, i.e. their first k). The fraction
 * modes are this toolkit's ablations: `poet-fraction` asks whether a shorter equal-length prefix helps further;
 * `response-fraction` cuts as much in relative terms without equalising lengths, separating "shorter" from
 * "equal". F in (0, 1]; F = 1 gives `poet` and `none`.
 */
export type TruncationSpec =
  | { mode: "none" }
  | { mode: "poet" }
  | { mode: "poet-fraction"; fraction: number }
  | { mode: "response-fraction"; fraction: number };

export type TruncationMode = TruncationSpec["mode"];

/**
 * Tokens kept of n when keeping a fraction F: max(1, ceil(F n - 1e-9)). Ceil so that a completion is never
 * emptied and F = 1 keeps all n; the 1e-9 forgives float error in F n (0.3 * 10 is 3.0000000000000004, and
 * keeps 3, not 4). Monotone in F and in n.
 */
export function keptTokens(fraction: number, n: number): number {
  return Math.max(1, Math.ceil(fraction * n - 1e-9));
}

/** Tokens each completion keeps, per mode: (chosen, rejected); `fraction` is 1 for the modes without one. */
const cuts: { [M in TruncationMode]: (nc: number, nr: number, fraction: number) => [number, number] } = {
  "none": (nc, nr) => [nc, nr],
  "poet": (nc, nr) => [Math.min(nc, nr), Math.min(nc, nr)],
  "poet-fraction": (nc, nr, fraction) => {
    const k = keptTokens(fraction, Math.min(nc, nr));
    return [k, k];
  },
  "response-fraction": (nc, nr, fraction) => [keptTokens(fraction, nc), keptTokens(fraction, nr)],
};

/**
 * The pair with its completions truncated as `spec` says; `none` returns the pair itself, every other mode a new
 * pair (never mutates). Completions are never emptied. An empty completion in the input, or a fraction outside
 * (0, 1] (parseTruncation rejects those), is a bug: Error.
 */
export function applyTruncation(pair: EncodedPair, spec: TruncationSpec): EncodedPair {
  if (spec.mode === "none") return pair;
  const fraction = "fraction" in spec ? spec.fraction : 1;
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`truncation ${spec.mode}: fraction ${fraction} is outside (0, 1]`);
  const nc = pair.chosenIds.length;
  const nr = pair.rejectedIds.length;
  if (nc === 0 || nr === 0) throw new Error(`empty completion in the pair from ${pair.source.file}:${pair.source.line}`);
  const [kc, kr] = cuts[spec.mode](nc, nr, fraction);
  return { ...pair, chosenIds: pair.chosenIds.slice(0, kc), rejectedIds: pair.rejectedIds.slice(0, kr) };
}

/**
 * `"none"`: the pair itself. `"poet"`: with k = min(|chosen|, |rejected|), both completions keep their
 * first k tokens, so they are equally long; the shorter keeps all its tokens (its EOS included) and the
 * prompt is untouched. Returns a new pair; never mutates. Completions are never emptied (encode.ts
 * rejects empty ones, which would be a bug here).
 */
export function truncatePair(pair: EncodedPair, mode: Truncation): EncodedPair {
  return applyTruncation(pair, { mode });
}

/** The text form of each mode: what parseTruncation reads and formatTruncation writes. */
const spellings: { [M in TruncationMode]: string } = {
  "none": "none",
  "poet": "poet",
  "poet-fraction": "poet:F",
  "response-fraction": "response:F",
};

const FORMS = Object.values(spellings).join(", ");

/** The word before `:F`, per mode that takes a fraction. */
const withFraction = new Map<string, "poet-fraction" | "response-fraction">([["poet", "poet-fraction"], ["response", "response-fraction"]]);

/**
 * Parses `none`, `poet`, `poet:F` or `response:F` (F a decimal in (0, 1], e.g. `poet:0.5`), as given to
 * `--truncation` or a config file's `truncation` key; `key` names where the text came from in the error.
 * Bad text is the user's: UserError naming the key, the text and the accepted forms.
 */
export function parseTruncation(text: string, key = "truncation"): TruncationSpec {
  const bad = (why: string) => new UserError(`${key}: ${JSON.stringify(text)} ${why}; use one of ${FORMS} (F a fraction in (0, 1], e.g. poet:0.5)`);
  const t = text.trim();
  if (t === "none" || t === "poet") return { mode: t };
  const colon = t.indexOf(":");
  if (colon < 0) throw bad("is not a truncation mode");
  const head = t.slice(0, colon);
  if (head === "none") throw bad(`has a fraction, which "none" does not take`);
  const mode = withFraction.get(head);
  if (mode === undefined) throw bad(`has an unknown mode "${head}"`);
  const number = t.slice(colon + 1).trim();
  const fraction = /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(number) ? Number(number) : NaN;
  if (!(fraction > 0 && fraction <= 1)) throw bad(`needs a fraction in (0, 1] after "${head}:"`);
  return { mode, fraction };
}

/** The text parseTruncation reads back to `spec` (for logs, run records and config files). */
export function formatTruncation(spec: TruncationSpec): string {
  return "fraction" in spec ? spellings[spec.mode].replace("F", String(spec.fraction)) : spellings[spec.mode];
}
