// Splits a prompt that chosen and rejected share as a common prefix off both, exactly like TRL's
// extract_prompt (quirks included). Works on message lists and on strings; does not render or tokenize.

/** The shared prompt and the two completions that follow it. */
export interface SplitPair<T> {
  prompt: T[];
  chosen: T[];
  rejected: T[];
}

/**
 * TRL's extract_prompt on sequences (message lists, or strings as arrays of code points):
 * the prompt ends where chosen and rejected first differ, moved back by one when the element before is
 * a space (so " blue" / " green" keep their space). When one is a prefix of the other, the prompt
 * stops one element short of the shorter, as TRL's loop does, so both completions keep one element.
 * The caller must ensure both are non-empty.
 */
export function extractImplicitPrompt<T>(chosen: readonly T[], rejected: readonly T[], same: (a: T, b: T) => boolean): SplitPair<T> {
  const shorter = Math.min(chosen.length, rejected.length);
  let split = shorter - 1;
  for (let i = 0; i < shorter; i++) {
    if (!same(chosen[i] as T, rejected[i] as T)) {
      // TRL checks chosen[i - 1], which at i = 0 is Python's chosen[-1]; that case is a TRL bug, not copied.
      split = i > 0 && (chosen[i - 1] as unknown) === " " ? i - 1 : i;
      break;
    }
  }
  split = Math.max(split, 0);
  return { prompt: chosen.slice(0, split), chosen: chosen.slice(split), rejected: rejected.slice(split) };
}

/** Whether two JSON-like values are equal by value (Python's `==` on dicts/lists of messages). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  const bRecord = b as Record<string, unknown>;
  return aKeys.every((key) => Object.hasOwn(bRecord, key) && jsonEqual((a as Record<string, unknown>)[key], bRecord[key]));
}
