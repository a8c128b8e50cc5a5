// The configuration of `poet train` / `poet eval`: the TrainConfig type, reading it from a YAML file of Hugging
// Face / TRL / alignment-handbook keys (such as the POET paper's training_configs/*.yaml) and from kebab-case
// flags, defaults, one validate(), and the generated --help section. The key table is config-keys.ts. It does not
// train, parse the truncation mode (data/truncation.ts does) or print: warnings are returned to the caller.

import { readFileSync } from "node:fs";
import { LineCounter, isMap, isNode, isScalar, parseDocument } from "yaml";
import { parseTruncation } from "../data/truncation.js";
import { UserError, at } from "../errors.js";
import { losses } from "../losses/index.js";
import type { LossConfig, LossName } from "../losses/types.js";
import {
  DEFAULT_BETA, DEFAULT_GAMMA_BETA_RATIO, FIELD_NAMES, OTHER_KEYS, SIMPO_ONLY_KEYS, TRAIN_FIELDS,
  didYouMean, flagOf, type FieldGroup, type ValueType, type YamlAlias,
} from "./config-keys.js";
import type { SchedulerType } from "./schedule.js";

/**
 * Everything `poet train` needs to know. Names are the camelCase of the Hugging Face TrainingArguments / TRL keys
 * that users write in YAML (snake_case) and as flags (kebab-case); config-keys.ts maps each one. Defaults follow
 * HF TrainingArguments and TRL's DPOConfig unless noted. Sources: HF = transformers TrainingArguments; TRL = trl
 * DPOConfig / CPOConfig; handbook = alignment-handbook ModelArguments / DataArguments; SimPO = SimPOConfig of
 * princeton-nlp/SimPO and of the POET paper's code (ZeguanXiao/POET, arXiv 2506.09457), which extends it.
 */
export interface TrainConfig {
  // ---- model and data ----

  /**
   * The policy to train: a local Hugging Face model directory (config.json, safetensors weights, tokenizer.json).
   * Required. YAML `model_name_or_path` (handbook), flag `--model`; a Hub id such as the paper's
   * `princeton-nlp/Llama-3-Base-8B-SFT` must be downloaded first and given as a directory.
   */
  model: string;
  /**
   * The reference model's directory, for the losses that need one (dpo, ipo, hinge). Default null: the initial
   * weights of `model`, as TRL's DPOTrainer does without a ref_model (and the POET code's run_dpo.py, which loads
   * the same path twice). Reference-free losses (simpo, orpo) ignore it, with a warning. YAML `ref_model` (poet's
   * key: TRL takes ref_model as a trainer argument, not a config field).
   */
  refModel: string | null;
  /**
   * Training preference pairs: a .jsonl, .json or .parquet file (src/data). Required. YAML `data`, or the handbook's
   * `dataset_mixer` with one dataset of weight 1.0 (its name is taken as the path); `--data` overrides both.
   */
  data: string;
  /** Evaluation pairs, same formats as `data`. Default null (none). YAML `eval_data` (poet's key). */
  evalData: string | null;
  /**
   * Fraction of `data` held out for evaluation, chosen with `seed`, when `evalData` is not given; 0 (default): no
   * split. In [0, 1). poet's key `eval_fraction`: the paper's configs evaluate on the Hub dataset's test split
   * (`dataset_splits`), which a local run replaces by `--eval-data` or this.
   */
  evalFraction: number;
  /**
   * Where checkpoint-N/ directories, the final model, log.jsonl and train_results.json are written; relative to
   * the working directory. Required (HF's fallback "trainer_output" is not used: a run names its output). HF.
   */
  outputDir: string;
  /**
   * A Jinja chat template (its source text) that replaces the tokenizer's for conversational rows. Default null:
   * tokenizer_config.json's. Handbook DataArguments `chat_template`; the paper's Gemma-2 configs set one.
   */
  chatTemplate: string | null;
  /** Skip and count malformed data rows instead of stopping at the first. Default false. poet's key. */
  skipInvalidRows: boolean;

  // ---- loss ----

  /**
   * The preference loss, an entry of src/losses: dpo (Rafailov et al. 2023), ipo (Azar et al. 2023), hinge (SLiC,
   * Zhao et al. 2023), simpo (Meng et al. 2024), orpo (Hong et al. 2024). Default dpo (TRL DPOConfig loss_type
   * "sigmoid"). YAML `loss_type` takes these names and TRL's "sigmoid" (= dpo). The SimPO and POET repos choose
   * their loss by script (run_simpo.py), not by key; their YAMLs set SimPO-only keys (gamma_beta_ratio, sft_weight)
   * and leave loss_type at SimPOConfig's "sigmoid". So a file with such a key and loss_type absent or "sigmoid"
   * loads as simpo, and with loss_type "hinge" (SimPO's hinge variant, which poet lacks) is an error. A file
   * without them, such as the paper's *-dpo*.yaml, is dpo.
   */
  loss: LossName;
  /**
   * How completions are truncated before log-probs are taken; parsed by data/truncation.ts parseTruncation:
   * none | poet | poet:F | response:F. `poet` is POET (arXiv 2506.09457): both completions cut to the shorter's
   * length. Default none. YAML `truncation`, or the POET code's `use_poet` (true: poet, false: none).
   */
  truncation: string;
  /**
   * beta, the inverse temperature of the implicit reward (for ipo, its tau; for orpo, the weight lambda of the
   * odds-ratio term). > 0. Default 0.1 (TRL DPOConfig / ORPOConfig / CPOConfig), and 2.0 for simpo (SimPOConfig)
   * when the loss is simpo and beta is not given. The paper's configs: DPO 0.01, SimPO 2.0-10.
   */
  beta: number;
  /**
   * SimPO's target reward margin as a ratio to beta: gamma = gammaBetaRatio * beta, as the SimPO / POET code
   * computes it (logits = pi_logratios - gamma_beta_ratio, loss on beta * logits). >= 0. Default null: not given;
   * with neither this nor simpoGamma, the ratio is 0.25 (SimPOConfig). Giving both is an error. YAML
   * `gamma_beta_ratio` (SimPO); the paper's configs use 0.3-0.8.
   */
  gammaBetaRatio: number | null;
  /**
   * SimPO's target reward margin gamma itself (TRL CPOConfig `simpo_gamma`, whose default is 0.5). >= 0. Default
   * null: not given (see gammaBetaRatio, whose default gives 0.25 * 2.0 = 0.5 too at SimPO's default beta).
   */
  simpoGamma: number | null;
  /**
   * epsilon, the assumed rate of flipped preference labels (conservative DPO, Mitchell 2023; robust DPO, Chowdhury
   * et al. 2024): in [0, 0.5). Read by dpo and simpo; others ignore it, with a warning, as TRL does. Default 0
   * (TRL DPOConfig, SimPOConfig).
   */
  labelSmoothing: number;
  /**
   * Weight of the chosen completions' NLL added to any loss (RPO, Pang et al. 2024, arXiv 2404.19733; TRL DPOConfig
   * `rpo_alpha`, whose None is 0 here). >= 0. Default 0.
   */
  rpoAlpha: number;

  // ---- optimizer and schedule (AdamW, src/train/adamw.ts) ----

  /**
   * Peak learning rate. > 0. Default 5e-5 (HF TrainingArguments, which the SimPO / POET configs inherit; TRL's
   * DPOConfig now overrides it with 1e-6; the TRL copy in the POET code does not). The paper's configs: 3e-7 to 1e-6.
   */
  learningRate: number;
  /** Schedule after warmup (src/train/schedule.ts, HF semantics). Default linear (HF); the paper's configs: cosine. */
  lrSchedulerType: SchedulerType;
  /** Linear warmup over this fraction of the total steps, in [0, 1]. Default 0 (HF); the paper's configs: 0.1. */
  warmupRatio: number;
  /** Linear warmup steps; when > 0 it overrides warmupRatio, as in HF. Integer >= 0. Default 0 (HF). */
  warmupSteps: number;
  /** AdamW beta1, in [0, 1). Default 0.9 (HF). */
  adamBeta1: number;
  /** AdamW beta2, in [0, 1). Default 0.999 (HF). */
  adamBeta2: number;
  /** AdamW epsilon, > 0. Default 1e-8 (HF). */
  adamEpsilon: number;
  /** AdamW decoupled weight decay, >= 0. Default 0 (HF). */
  weightDecay: number;
  /** Clip the global gradient norm to this; 0 disables clipping. >= 0. Default 1.0 (HF). */
  maxGradNorm: number;
  /** Seed of the data order and of the evalFraction split. Integer in [0, 2^32). Default 42 (HF). */
  seed: number;

  // ---- batches and length ----

  /**
   * Pairs per micro-batch. Integer >= 1. Default 8 (HF). poet trains in one process, so pairs per optimizer step
   * = this * gradientAccumulationSteps; the paper ran 4 GPUs (run.sh), so its configs mean 4 times that.
   */
  perDeviceTrainBatchSize: number;
  /** Pairs per evaluation batch. Integer >= 1. Default 8 (HF). */
  perDeviceEvalBatchSize: number;
  /** Micro-batches per optimizer step. Integer >= 1. Default 1 (HF). */
  gradientAccumulationSteps: number;
  /** Passes over the training data; may be fractional. > 0. Default 3 (HF); the paper's configs: 1. */
  numTrainEpochs: number;
  /** Optimizer steps to take, overriding numTrainEpochs; -1: train for numTrainEpochs. Default -1 (HF). */
  maxSteps: number;
  /**
   * Longest prompt + completion in tokens, applied with TRL's rule (src/data/length-limits.ts); null: no limit.
   * Integer >= 1. Default 1024 (current TRL DPOConfig; the copy in the POET code has None, and its trainers fall
   * back to 512). The paper's configs: 2048.
   */
  maxLength: number | null;
  /**
   * Prompt tokens kept (the last ones) when a pair exceeds maxLength; null: no limit. Integer >= 1, < maxLength.
   * Default 512 (current TRL DPOConfig; the POET code's trainers fall back to 128). The paper's configs: 1800.
   */
  maxPromptLength: number | null;
  /**
   * bfloat16 mixed precision, as the paper's configs ask (HF `bf16`). Default false (HF). Recorded here; the
   * caller warns when the engine computes in float32 instead.
   */
  bf16: boolean;

  // ---- evaluation, logging, checkpoints ----

  /**
   * When to evaluate during training: no | steps (every evalSteps) | epoch. Default no (HF). YAML `eval_strategy`
   * or `evaluation_strategy` (HF's older name, which the paper's configs use).
   */
  evalStrategy: "no" | "steps" | "epoch";
  /** Optimizer steps between evaluations under evalStrategy steps; null: loggingSteps, as HF. Integer >= 1. */
  evalSteps: number | null;
  /** Optimizer steps between log lines. Integer >= 1. Default 500 (HF); the paper's configs: 5. */
  loggingSteps: number;
  /** When to write checkpoint-N/: no | steps (every saveSteps) | epoch. Default steps (HF); the paper's: epoch. */
  saveStrategy: "no" | "steps" | "epoch";
  /** Optimizer steps between checkpoints under saveStrategy steps. Integer >= 1. Default 500 (HF). */
  saveSteps: number;
  /** Keep only the newest N checkpoints; null: keep all. Integer >= 1. Default null (HF). */
  saveTotalLimit: number | null;
  /** Continue from this checkpoint-N/ directory, or `latest` in outputDir. Default null: start fresh. HF. */
  resumeFromCheckpoint: string | null;
}

/** Where each value came from, for messages: `file.yaml:12: beta` or `--beta`; absent: the default. */
export type ConfigOrigin = { [K in keyof TrainConfig]?: string };

/** A key of a config file that poet knows but has no machinery for. */
export interface IgnoredKey {
  key: string;
  line: number | undefined;
  reason: string;
}

export interface ConfigFile {
  path: string;
  /** The fields the file sets. */
  values: Partial<TrainConfig>;
  origin: ConfigOrigin;
  /** Ignored keys, each once, in file order. */
  ignored: IgnoredKey[];
}

/** The defaults of every field, from the key table (beta's depends on the loss: see resolve()). */
export const TRAIN_DEFAULTS: Readonly<TrainConfig> = Object.fromEntries(
  FIELD_NAMES.map((k) => [k, TRAIN_FIELDS[k].default]),
) as unknown as TrainConfig;

// ---- reading values --------------------------------------------------------------------------------------------

type AnySpec = { yaml: string; type: ValueType<unknown>; aliases?: readonly YamlAlias<unknown>[] };
const spec = (k: keyof TrainConfig): AnySpec => TRAIN_FIELDS[k] as AnySpec;

/** Every YAML key a field answers to, with how to read it. */
const YAML_KEYS: ReadonlyMap<string, { field: keyof TrainConfig; expects: string; fromYaml(v: unknown): unknown }> = new Map(
  FIELD_NAMES.flatMap((field) => {
    const s = spec(field);
    return [
      [s.yaml, { field, expects: s.type.expects, fromYaml: (v: unknown) => s.type.fromYaml(v) }] as const,
      ...(s.aliases ?? []).map((a) => [a.key, { field, expects: a.expects, fromYaml: (v: unknown) => a.fromYaml(v) }] as const),
    ];
  }),
);

const FLAGS: ReadonlyMap<string, keyof TrainConfig> = new Map(FIELD_NAMES.map((k) => [flagOf(k), k]));

/** `--config FILE`: the one flag that is not a field. */
const CONFIG_FLAG: ValueType<unknown> = {
  expects: "a file", metavar: "FILE", fromYaml: () => undefined, fromFlag: (t) => (t === "" ? undefined : t),
};

/** A value as a message shows it: JSON, shortened. */
function show(v: unknown): string {
  const s = v === undefined ? "nothing" : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Suggestions for an unknown YAML key: every known key, and each flag spelled as the key it stands for. */
function yamlSuggestions(): Map<string, string> {
  const m = new Map<string, string>();
  for (const key of [...YAML_KEYS.keys(), ...Object.keys(OTHER_KEYS)]) m.set(key, key);
  for (const [flag, field] of FLAGS) if (!m.has(flag)) m.set(flag, spec(field).yaml);
  return m;
}

/** Suggestions for an unknown flag: every flag, and each YAML key spelled as the flag it stands for. */
function flagSuggestions(): Map<string, string> {
  const m = new Map<string, string>([["config", "--config"]]);
  for (const [flag] of FLAGS) m.set(flag, `--${flag}`);
  for (const [key, { field }] of YAML_KEYS) if (!m.has(key)) m.set(key, `--${flagOf(field)}`);
  return m;
}

/**
 * Reads a YAML config file of Hugging Face TrainingArguments / TRL / alignment-handbook keys, such as the POET
 * paper's training_configs/*.yaml. Every key is honoured (mapped to a field, type-checked), ignored (reported in
 * `ignored`, see config-keys.ts OTHER_KEYS), fixed (accepted at the one value poet implements) or an error. All
 * problems of the file are reported together in one UserError, each as `file:line: key: what to do`. Values are
 * not range-checked here: validate() does that once the flags are merged in.
 */
export function loadConfigFile(path: string): ConfigFile {
  let source: string;
  try {
    source = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UserError(`${path}: cannot read the config file (${code}); check the path given to --config`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new UserError(`${at(path, e.linePos?.[0].line)}: not valid YAML: ${e.message.split("\n")[0]}; fix the file's syntax`);
  }
  const result: ConfigFile = { path, values: {}, origin: {}, ignored: [] };
  if (doc.contents === null) return result;
  if (!isMap(doc.contents))
    throw new UserError(`${path}: expected "key: value" lines (a YAML mapping), as Hugging Face / TRL config files are`);

  const problems: string[] = [];
  const setBy = new Map<keyof TrainConfig, string>();
  const raw = new Map<string, unknown>();
  for (const pair of doc.contents.items) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? keyNode.value : keyNode;
    const line = isNode(keyNode) && keyNode.range ? lines.linePos(keyNode.range[0]).line : undefined;
    const where = at(path, line);
    if (typeof key !== "string") {
      problems.push(`${where}: key ${show(key)} is not a name; keys are Hugging Face / TRL argument names`);
      continue;
    }
    const value: unknown = isNode(pair.value) ? pair.value.toJS(doc) : (pair.value ?? null);
    raw.set(key, value);

    const known = YAML_KEYS.get(key);
    if (known) {
      const v = known.fromYaml(value);
      const earlier = setBy.get(known.field);
      if (v === undefined) problems.push(`${where}: ${key}: expected ${known.expects}, got ${show(value)}`);
      else if (earlier !== undefined) problems.push(`${where}: ${key} sets the same thing as ${earlier}; keep one of them`);
      else {
        (result.values as Record<string, unknown>)[known.field] = v;
        result.origin[known.field] = `${where}: ${key}`;
        setBy.set(known.field, line === undefined ? key : `${key} (line ${line})`);
      }
      continue;
    }
    const other = OTHER_KEYS[key];
    if (other?.kind === "ignored") result.ignored.push({ key, line, reason: other.reason });
    else if (other?.kind === "fixed") {
      if (!other.accepts.includes(value))
        problems.push(`${where}: ${key}: ${show(value)} is not supported: ${other.reason}; ` +
          `remove the key or set it to ${other.accepts.map(show).join(" or ")}`);
    } else {
      const guess = didYouMean(key, yamlSuggestions());
      problems.push(`${where}: unknown key "${key}"${guess ? ` (did you mean ${guess}?)` : ""}; ` +
        `poet train --help lists the keys it reads, each in [brackets]`);
    }
  }

  // The SimPO and POET repos pick SimPO by script, not by loss_type (see TrainConfig.loss).
  const simpoKey = SIMPO_ONLY_KEYS.find((k) => raw.has(k));
  const lossType = raw.get("loss_type");
  if (simpoKey !== undefined && (lossType === undefined || lossType === "sigmoid")) {
    result.values.loss = "simpo";
    result.origin.loss = `${path}: ${simpoKey} (a SimPO config)`;
  } else if (simpoKey !== undefined && lossType === "hinge") {
    problems.push(`${result.origin.loss ?? path}: with ${simpoKey} this is SimPO's hinge variant, which poet lacks; ` +
      `use loss_type: simpo (SimPO's sigmoid loss) or drop ${simpoKey} for TRL's hinge (SLiC)`);
  }

  if (problems.length === 1) throw new UserError(problems[0]!);
  if (problems.length > 1) throw new UserError(`${problems.length} problems in ${path}:\n  ${problems.join("\n  ")}`);
  return result;
}

/** The one warning that lists a file's ignored keys, those with the same reason on one line (none: null). */
export function ignoredKeysWarning(file: string, ignored: readonly IgnoredKey[]): string | null {
  if (ignored.length === 0) return null;
  const byReason = new Map<string, string[]>();
  for (const k of ignored) byReason.set(k.reason, [...(byReason.get(k.reason) ?? []), k.key]);
  return `${file}: ignoring ${ignored.length} key${ignored.length === 1 ? "" : "s"} poet has no machinery for:\n` +
    [...byReason].map(([reason, keys]) => `  ${keys.join(", ")}: ${reason}`).join("\n");
}

// ---- flags -----------------------------------------------------------------------------------------------------

export interface ParsedTrainFlags {
  /** Defaults, overridden by the --config file, overridden by the flags. Not validated yet. */
  config: TrainConfig;
  origin: ConfigOrigin;
  /** The --config file's ignored keys (empty without one). */
  ignored: IgnoredKey[];
  configFile: string | null;
}

/**
 * Reads `poet train` / `poet eval` flags: `--flag VALUE` or `--flag=VALUE`, switches as `--bf16` / `--no-bf16` /
 * `--bf16=false`, `none` for an optional value. `--config FILE.yaml` loads a config file (loadConfigFile); flags
 * override it and defaults fill the rest. An unknown flag, a flag given twice, a missing or mistyped value, or a
 * positional argument is a UserError naming the flag, with a did-you-mean where one is near.
 */
export function parseTrainFlags(argv: readonly string[], command = "train"): ParsedTrainFlags {
  const fail = (msg: string) => new UserError(`poet ${command}: ${msg}; see poet ${command} --help`);
  const values: Partial<TrainConfig> = {};
  const origin: ConfigOrigin = {};
  const seen = new Set<string>();
  let configFile: string | null = null;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--") || arg === "--") throw fail(`unexpected argument "${arg}" (options are --flags; a config file is --config FILE)`);
    const eq = arg.indexOf("=");
    let name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let inline: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    let field = FLAGS.get(name);
    if (field === undefined && name.startsWith("no-") && inline === undefined) {
      const positive = FLAGS.get(name.slice(3));
      if (positive !== undefined && spec(positive).type.isSwitch) [field, name, inline] = [positive, name.slice(3), "false"];
    }
    if (name !== "config" && field === undefined) {
      const guess = didYouMean(name, flagSuggestions());
      throw fail(`unknown flag --${name}${guess ? ` (did you mean ${guess}?)` : ""}`);
    }
    if (seen.has(name)) throw fail(`--${name} is given twice`);
    seen.add(name);

    const type = field === undefined ? CONFIG_FLAG : spec(field).type;
    let text = inline;
    if (text === undefined && type.isSwitch) text = "true";
    if (text === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw fail(`--${name} needs a value (${type.expects})`);
      text = next;
      i++;
    }
    const v = type.fromFlag(text);
    if (v === undefined) throw fail(`--${name} ${JSON.stringify(text)}: expected ${type.expects}`);
    if (field === undefined) configFile = v as string;
    else {
      (values as Record<string, unknown>)[field] = v;
      origin[field] = `--${name}`;
    }
  }

  const file = configFile === null ? null : loadConfigFile(configFile);
  const merged = resolve(file?.values ?? {}, values);
  return { config: merged, origin: { ...file?.origin, ...origin }, ignored: file?.ignored ?? [], configFile };
}

/** Defaults < file < flags. beta's default follows the final loss (DEFAULT_BETA) unless beta is given. */
function resolve(file: Partial<TrainConfig>, flags: Partial<TrainConfig>): TrainConfig {
  const config: TrainConfig = { ...TRAIN_DEFAULTS, ...file, ...flags };
  if (file.beta === undefined && flags.beta === undefined) config.beta = DEFAULT_BETA[config.loss];
  return config;
}

/**
 * What `poet train` / `poet eval` call: flags (and the --config file), then validate(). Returns the configuration
 * and every warning to print: the file's ignored keys (one warning) and validate()'s.
 */
export function loadTrainConfig(
  argv: readonly string[],
  options: { command?: string; purpose?: "train" | "eval" } = {},
): { config: TrainConfig; warnings: string[] } {
  const parsed = parseTrainFlags(argv, options.command ?? "train");
  const warnings = validate(parsed.config, { origin: parsed.origin, purpose: options.purpose ?? "train" });
  const ignored = parsed.configFile === null ? null : ignoredKeysWarning(parsed.configFile, parsed.ignored);
  return { config: parsed.config, warnings: ignored === null ? warnings : [ignored, ...warnings] };
}

// ---- validation ------------------------------------------------------------------------------------------------

/**
 * The one check of a whole configuration: required fields, ranges, and consistency between fields. Throws one
 * UserError listing every problem, each named as the user wrote it (`file.yaml:12: beta` or `--beta`); returns
 * warnings for settings that are legal but have no effect or miss something. `purpose` "eval" needs a model and
 * pairs to evaluate (evalData or data) instead of the training requirements.
 */
export function validate(
  config: TrainConfig,
  options: { origin?: ConfigOrigin; purpose?: "train" | "eval" } = {},
): string[] {
  const origin = options.origin ?? {};
  const purpose = options.purpose ?? "train";
  const name = (k: keyof TrainConfig) => origin[k] ?? `--${flagOf(k)}`;
  const errors: string[] = [];
  const warnings: string[] = [];
  const c = config;

  const required = (k: "model" | "data" | "outputDir", what: string) => {
    if (c[k] === "") errors.push(`--${flagOf(k)} is required: ${what} (or ${spec(k).yaml} in the --config file)`);
  };
  required("model", "the model directory to start from");
  if (purpose === "train") {
    required("data", "the training pairs");
    required("outputDir", "where to write checkpoints and the model");
  } else if (c.data === "" && c.evalData === null) {
    errors.push(`--eval-data is required: the pairs to evaluate (or eval_data in the --config file)`);
  }

  const check = (k: keyof TrainConfig, ok: boolean, rule: string) => {
    if (!ok) errors.push(`${name(k)}: must be ${rule}, got ${show(c[k])}`);
  };
  const isInt = Number.isInteger;
  check("beta", c.beta > 0, "> 0");
  check("labelSmoothing", c.labelSmoothing >= 0 && c.labelSmoothing < 0.5, "in [0, 0.5)");
  check("rpoAlpha", c.rpoAlpha >= 0, ">= 0");
  if (c.gammaBetaRatio !== null) check("gammaBetaRatio", c.gammaBetaRatio >= 0, ">= 0");
  if (c.simpoGamma !== null) check("simpoGamma", c.simpoGamma >= 0, ">= 0");
  check("learningRate", c.learningRate > 0, "> 0");
  check("warmupRatio", c.warmupRatio >= 0 && c.warmupRatio <= 1, "in [0, 1]");
  check("warmupSteps", c.warmupSteps >= 0, ">= 0");
  check("adamBeta1", c.adamBeta1 >= 0 && c.adamBeta1 < 1, "in [0, 1)");
  check("adamBeta2", c.adamBeta2 >= 0 && c.adamBeta2 < 1, "in [0, 1)");
  check("adamEpsilon", c.adamEpsilon > 0, "> 0");
  check("weightDecay", c.weightDecay >= 0, ">= 0");
  check("maxGradNorm", c.maxGradNorm >= 0, ">= 0 (0 disables clipping)");
  check("seed", isInt(c.seed) && c.seed >= 0 && c.seed < 2 ** 32, "an integer in [0, 2^32)");
  check("evalFraction", c.evalFraction >= 0 && c.evalFraction < 1, "in [0, 1) (0: no held-out split)");
  for (const k of ["perDeviceTrainBatchSize", "perDeviceEvalBatchSize", "gradientAccumulationSteps", "loggingSteps", "saveSteps"] as const)
    check(k, isInt(c[k]) && c[k] >= 1, "an integer >= 1");
  for (const k of ["evalSteps", "saveTotalLimit", "maxLength", "maxPromptLength"] as const) {
    const v = c[k];
    if (v !== null) check(k, isInt(v) && v >= 1, "an integer >= 1, or none");
  }
  check("numTrainEpochs", c.numTrainEpochs > 0, "> 0");
  check("maxSteps", c.maxSteps === -1 || (isInt(c.maxSteps) && c.maxSteps >= 1), "-1 (train for --num-train-epochs) or a step count >= 1");
  for (const k of ["model", "data", "outputDir"] as const)
    if (c[k] !== "" && c[k].trim() === "") errors.push(`${name(k)}: is blank`);
  try {
    parseTruncation(c.truncation, name("truncation"));
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    errors.push(e.message);
  }

  // consistency
  if (c.maxLength !== null && c.maxPromptLength !== null && c.maxPromptLength >= c.maxLength)
    errors.push(`${name("maxPromptLength")}: ${c.maxPromptLength} leaves no room for completions within ${name("maxLength")} ${c.maxLength}; make it smaller`);
  if (c.gammaBetaRatio !== null && c.simpoGamma !== null)
    errors.push(`${name("gammaBetaRatio")} and ${name("simpoGamma")} both set SimPO's margin (gamma = gamma_beta_ratio * beta); give one`);
  if (c.evalData !== null && c.evalFraction > 0)
    errors.push(`${name("evalData")} and ${name("evalFraction")} both choose the eval pairs; give one`);
  if (errors.length === 1) throw new UserError(errors[0]!);
  if (errors.length > 1) throw new UserError(`${errors.length} problems in the configuration:\n  ${errors.join("\n  ")}`);

  // settings without effect, or missing pieces
  const loss = losses[c.loss];
  if (!loss.needsReference && c.refModel !== null)
    warnings.push(`${name("refModel")}: unused, loss ${c.loss} is reference-free`);
  if (c.labelSmoothing !== 0 && !loss.reads.includes("labelSmoothing"))
    warnings.push(`${name("labelSmoothing")}: no effect with loss ${c.loss} (TRL ignores it too)`);
  for (const k of ["gammaBetaRatio", "simpoGamma"] as const)
    if (c[k] !== null && !loss.reads.includes("simpoGamma")) warnings.push(`${name(k)}: no effect with loss ${c.loss} (SimPO's margin)`);
  if (c.warmupSteps > 0 && c.warmupRatio > 0)
    warnings.push(`${name("warmupSteps")} ${c.warmupSteps} overrides ${name("warmupRatio")} ${c.warmupRatio}, as in Hugging Face`);
  if (c.lrSchedulerType === "constant" && (c.warmupSteps > 0 || c.warmupRatio > 0))
    warnings.push(`${name("lrSchedulerType")}: constant has no warmup; use constant_with_warmup to warm up`);
  if (purpose === "train" && c.evalStrategy !== "no" && c.evalData === null && c.evalFraction === 0)
    warnings.push(`${name("evalStrategy")} ${c.evalStrategy} asks for evaluation, but there are no eval pairs: ` +
      `pass --eval-data FILE or --eval-fraction F (the paper's configs evaluate on the Hub dataset's test split); no evaluation will run`);
  return warnings;
}

// ---- what the loss and the trainer read ------------------------------------------------------------------------

/** SimPO's absolute margin gamma: simpoGamma, else gammaBetaRatio * beta, else 0.25 * beta (SimPOConfig). */
export function resolvedSimpoGamma(config: TrainConfig): number {
  return config.simpoGamma ?? (config.gammaBetaRatio ?? DEFAULT_GAMMA_BETA_RATIO) * config.beta;
}

/** The loss's hyper-parameters (src/losses/types.ts LossConfig). */
export function lossConfigOf(config: TrainConfig): LossConfig {
  const { beta, labelSmoothing, rpoAlpha } = config;
  return { beta, labelSmoothing, simpoGamma: resolvedSimpoGamma(config), rpoAlpha };
}

// ---- help ------------------------------------------------------------------------------------------------------

function formatDefault(v: unknown): string {
  if (v === null) return "none";
  if (typeof v === "number") return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v);
  return String(v);
}

/**
 * The options section of `poet train --help`: every flag, grouped, with its value, one-line meaning, default, and
 * [YAML keys: source], generated from the key table. Lines wrap at 118 columns.
 */
export function trainFlagsHelp(): string {
  const rows: { group: FieldGroup | "Config"; left: string; right: string }[] = [{
    group: "Config", left: "--config FILE",
    right: "YAML of Hugging Face / TRL / alignment-handbook keys, e.g. the POET paper's training_configs/*.yaml",
  }];
  for (const k of FIELD_NAMES) {
    const s = TRAIN_FIELDS[k];
    const meta = s.type.metavar === "" ? "" : ` ${s.type.metavar}`;
    const dflt = s.default === "" ? "" : ` (default ${s.defaultText ?? formatDefault(s.default)})`;
    const keys = [s.yaml, ...(s.aliases ?? []).map((a) => a.key)].join(", ");
    rows.push({ group: s.group, left: `--${flagOf(k)}${meta}`, right: `${s.help}${dflt} [${keys}: ${s.source}]` });
  }
  const indent = 36, width = 118;
  const wrap = (text: string): string[] => {
    const lines: string[] = [];
    let line = "";
    // a flag named in the text stays on the line of the word before it, so no wrapped line starts with "--"
    const words: string[] = [];
    for (const w of text.split(" ")) {
      if (w.startsWith("--") && words.length > 0) words.push(`${words.pop()} ${w}`);
      else words.push(w);
    }
    for (const word of words) {
      if (line !== "" && indent + line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line === "" ? word : `${line} ${word}`;
    }
    return [...lines, line];
  };
  const out: string[] = [];
  let group = "";
  for (const r of rows) {
    if (r.group !== group) {
      out.push(`${out.length ? "\n" : ""}${r.group}:`);
      group = r.group;
    }
    const left = `  ${r.left}`;
    const right = wrap(r.right).map((l) => " ".repeat(indent) + l);
    if (left.length < indent) right[0] = left.padEnd(indent) + right[0]!.trimStart();
    else out.push(left);
    out.push(...right);
  }
  return `${out.join("\n")}\n\n` +
    "Flags override the --config file. [Brackets]: the YAML keys, and where each comes from (HF TrainingArguments,\n" +
    "TRL DPOConfig/CPOConfig, alignment-handbook, SimPO's SimPOConfig, poet's own). Switches: --bf16, --no-bf16; an\n" +
    "optional value can be none. A YAML key poet cannot honour (deepspeed, report_to, hub_*, ...) is listed once as a\n" +
    "warning; an unknown key is an error.\n";
}
