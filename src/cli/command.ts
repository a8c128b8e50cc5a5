// What a CLI command is: a name, a one-line summary, a help text with examples, and a run function over argv.
// Commands parse and print; the work is done by the library.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { didYouMean } from "../did-you-mean.js";
import { UserError } from "../errors.js";

export interface Command {
  name: string;
  summary: string;
  /** Full --help text, ending with examples. */
  help: string;
  run(argv: string[]): Promise<void>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;


/** node:util parseArgs, with unknown flags and missing values turned into UserErrors that point at --help. */
export type Flags<O extends Options> = { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string };

export function parseFlags<O extends Options>(cmd: string, argv: string[], options: O): Flags<O> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Flags<O>;
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /Unknown option '(--?[^']+)'/.exec(msg);
    if (unknown) {
      const flag = unknown[1]!.replace(/^-+/, "");
      const guess = didYouMean(flag, new Map(Object.keys(options).map((n) => [n, n])));
      throw new UserError(`poet ${cmd}: unknown flag ${unknown[1]}${guess ? ` (did you mean --${guess}?)` : ""}; see poet ${cmd} --help`);
    }
    throw new UserError(`poet ${cmd}: ${msg}; see poet ${cmd} --help`);
  }
}

export function required(cmd: string, flag: string, value: string | undefined): string {
  if (value === undefined || value === "") throw new UserError(`poet ${cmd}: --${flag} is required; see poet ${cmd} --help`);
  return value;
}

export function positiveInt(cmd: string, flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`poet ${cmd}: --${flag} ${value}: expected a positive integer`);
  return n;
}

/** A number flag: `fallback` when absent; a UserError naming the flag and `want` when blank, not finite or not ok. */
export function numberFlag(cmd: string, flag: string, value: string | undefined, fallback: number, ok: (x: number) => boolean, want: string): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x) || !ok(x)) throw new UserError(`poet ${cmd}: --${flag} ${value}: expected ${want}`);
  return x;
}

export function choice<T extends string>(cmd: string, flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    throw new UserError(`poet ${cmd}: --${flag} ${value}: expected one of ${allowed.join(", ")}`);
  return value as T;
}
