// Typed reading of config.json keys: every problem names the file and the key, and says what was expected.
import { UserError } from "../errors.js";

export class ConfigReader {
  constructor(
    readonly file: string,
    readonly raw: Record<string, unknown>,
  ) {}

  private bad(key: string, want: string): never {
    throw new UserError(`${this.file}: key "${key}" must be ${want}, got ${JSON.stringify(this.raw[key])}`);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  int(key: string, fallback?: number): number {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) throw new UserError(`${this.file}: missing key "${key}" (a positive integer)`);
      return fallback;
    }
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) this.bad(key, "a positive integer");
    return v;
  }

  num(key: string, fallback?: number): number {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) throw new UserError(`${this.file}: missing key "${key}" (a number)`);
      return fallback;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) this.bad(key, "a finite number");
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") this.bad(key, "true or false");
    return v;
  }

  str(key: string, fallback: string): string {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "string") this.bad(key, "a string");
    return v;
  }

  /** Fails unless the key's value is one of `allowed`. */
  oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
    const v = this.str(key, fallback);
    if (!(allowed as readonly string[]).includes(v))
      throw new UserError(`${this.file}: "${key}": "${v}" is not supported (supported: ${allowed.join(", ")})`);
    return v as T;
  }
}
