// The vocabulary of `poet train` / `poet eval` configuration, in two tables: TRAIN_FIELDS maps every TrainConfig
// field to its YAML key (the Hugging Face / TRL / alignment-handbook name), other spellings, flag, value type,
// default and --help line; OTHER_KEYS lists the keys of those projects' configs that poet knows but does not
// honour, and why. config.ts reads YAML, flags, validation and --help off these tables; no I/O here.

import { lossNames } from "../losses/index.js";
import type { LossName } from "../losses/types.js";
import type { TrainConfig } from "./config.js";
import { SCHEDULERS, type SchedulerType } from "./schedule.js";

/** How one kind of value is read from YAML (already parsed) and from a flag's text; undefined: not such a value. */
export interface ValueType<T> {
  /** The accepted values in words, for errors: "a number", "an integer", "true or false", "dpo, ipo, ...". */
  readonly expects: string;
  /** Placeholder after the flag in --help (X, N, DIR, a|b); "" for a switch. */
  readonly metavar: string;
  /** A switch takes no value: `--bf16` is true, `--no-bf16` false. */
  readonly isSwitch?: boolean;
  fromYaml(value: unknown): T | undefined;
  fromFlag(text: string): T | undefined;
}

/** Another YAML key for a field (an older name, a sibling project's), read into the field's type. */
export interface YamlAlias<T> {
  readonly key: string;
  readonly expects: string;
  fromYaml(value: unknown): T | undefined;
}

export type FieldGroup =
  | "Model and data" | "Loss" | "Optimizer and schedule" | "Batches and length" | "Evaluation, logging, checkpoints";

export interface FieldSpec<T> {
  /** The key in YAML config files. */
  readonly yaml: string;
  readonly aliases?: readonly YamlAlias<T>[];
  /** The flag without "--"; by default `yaml` in kebab-case. */
  readonly flag?: string;
  readonly type: ValueType<T>;
  readonly default: T;
  /** Shown in --help instead of `default` where the default depends on other fields. */
  readonly defaultText?: string;
  readonly group: FieldGroup;
  /** One line for --help: what it means. */
  readonly help: string;
  /** Where the key and its default come from (HF, TRL, handbook, SimPO; poet for poet's own keys). */
  readonly source: string;
}

// ---- value types ---------------------------------------------------------------------------------------------

const NUMBER_TEXT = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const numberText = (t: string): number | undefined => (NUMBER_TEXT.test(t.trim()) ? Number(t) : undefined);

const num: ValueType<number> = {
  expects: "a number",
  metavar: "X",
  fromYaml: (v) => (typeof v === "number" && Number.isFinite(v) ? v : undefined),
  fromFlag: numberText,
};

const int: ValueType<number> = {
  expects: "an integer",
  metavar: "N",
  fromYaml: (v) => (typeof v === "number" && Number.isInteger(v) ? v : undefined),
  fromFlag: (t) => {
    const n = numberText(t);
    return n !== undefined && Number.isInteger(n) ? n : undefined;
  },
};

const bool: ValueType<boolean> = {
  expects: "true or false",
  metavar: "",
  isSwitch: true,
  fromYaml: (v) => (typeof v === "boolean" ? v : undefined),
  fromFlag: (t) => (t === "true" ? true : t === "false" ? false : undefined),
};

function text(metavar: string): ValueType<string> {
  return {
    expects: "a non-empty string",
    metavar,
    fromYaml: (v) => (typeof v === "string" && v !== "" ? v : undefined),
    fromFlag: (t) => (t !== "" ? t : undefined),
  };
}

function oneOf<T extends string>(values: readonly T[]): ValueType<T> {
  const ok = (v: unknown): T | undefined => (values as readonly unknown[]).includes(v) ? (v as T) : undefined;
  return { expects: `one of ${values.join(", ")}`, metavar: values.join("|"), fromYaml: ok, fromFlag: ok };
}

/** `t` or null, written `null` (or `none`) in YAML and `none` on the command line. */
function orNone<T>(t: ValueType<T>): ValueType<T | null> {
  return {
    expects: `${t.expects}, or none`,
    metavar: t.metavar,
    fromYaml: (v) => (v === null || v === "none" ? null : t.fromYaml(v)),
    fromFlag: (s) => (s === "none" ? null : t.fromFlag(s)),
  };
}

/** `t`, with null (YAML) and none (YAML or flag) read as `value`: for TRL's Optional fields whose None means off. */
function noneAs<T>(t: ValueType<T>, value: T): ValueType<T> {
  return {
    ...t,
    expects: `${t.expects}, or none`,
    fromYaml: (v) => (v === null || v === "none" ? value : t.fromYaml(v)),
    fromFlag: (s) => (s === "none" ? value : t.fromFlag(s)),
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

// ---- loss-dependent defaults -----------------------------------------------------------------------------------

/**
 * beta's default per loss: 0.1 as TRL's DPOConfig (also its ORPOConfig and CPOConfig); 2.0 for simpo, as the
 * SimPOConfig of the SimPO and POET repos (scripts/simpo_config.py), since SimPO's beta scales per-token averages.
 */
export const DEFAULT_BETA: { readonly [L in LossName]: number } = { dpo: 0.1, ipo: 0.1, hinge: 0.1, simpo: 2.0, orpo: 0.1 };

/** SimPO's gamma / beta when neither gamma_beta_ratio nor simpo_gamma is given (SimPOConfig gamma_beta_ratio). */
export const DEFAULT_GAMMA_BETA_RATIO = 0.25;

/** YAML keys that only SimPO's SimPOConfig has: a file that sets one is a SimPO config (see TrainConfig.loss). */
export const SIMPO_ONLY_KEYS = ["gamma_beta_ratio", "sft_weight"] as const;

const lossType: ValueType<LossName> = {
  expects: `one of ${lossNames.join(", ")} (or TRL's sigmoid, i.e. dpo)`,
  metavar: lossNames.join("|"),
  // TRL's DPOConfig calls DPO's loss "sigmoid"; CPOConfig calls SimPO "simpo"; the other names are the same.
  fromYaml: (v) => (v === "sigmoid" ? "dpo" : (lossNames as readonly unknown[]).includes(v) ? (v as LossName) : undefined),
  fromFlag: (t) => ((lossNames as readonly string[]).includes(t) ? (t as LossName) : undefined),
};

const schedulerNames = Object.keys(SCHEDULERS) as SchedulerType[];
const strategies = ["no", "steps", "epoch"] as const;

// ---- the field table -----------------------------------------------------------------------------------------

/**
 * Every TrainConfig field, in --help order. The mapped type makes a field without an entry a compile error.
 * Sources: HF = transformers TrainingArguments; TRL = trl DPOConfig / CPOConfig; handbook = alignment-handbook
 * ModelArguments / DataArguments; SimPO = princeton-nlp/SimPO and ZeguanXiao/POET scripts/simpo_config.py.
 */
export const TRAIN_FIELDS: { readonly [K in keyof TrainConfig]: FieldSpec<TrainConfig[K]> } = {
  model: {
    yaml: "model_name_or_path", flag: "model", type: text("DIR"), default: "", group: "Model and data",
    help: "required: Hugging Face model directory to train (config.json, safetensors, tokenizer)", source: "handbook",
  },
  refModel: {
    yaml: "ref_model", type: orNone(text("DIR")), default: null, defaultText: "--model", group: "Model and data",
    help: "reference model directory for dpo, ipo, hinge (TRL DPOTrainer's ref_model)", source: "poet",
  },
  data: {
    yaml: "data",
    aliases: [{
      key: "dataset_mixer",
      expects: "a map with one dataset and weight 1.0 (poet trains on one dataset; --data overrides it)",
      fromYaml: (v) => {
        if (!isPlainObject(v)) return undefined;
        const entries = Object.entries(v);
        return entries.length === 1 && entries[0]![1] === 1 && entries[0]![0] !== "" ? entries[0]![0] : undefined;
      },
    }],
    type: text("FILE"), default: "", group: "Model and data",
    help: "required: training pairs (.jsonl, .json, .parquet); YAML dataset_mixer: one entry, weight 1.0", source: "poet, handbook",
  },
  evalData: {
    yaml: "eval_data", type: orNone(text("FILE")), default: null, group: "Model and data",
    help: "evaluation pairs, same formats as --data", source: "poet",
  },
  evalFraction: {
    yaml: "eval_fraction", type: num, default: 0, group: "Model and data",
    help: "fraction of --data held out (seeded) for evaluation when there is no --eval-data; 0: none", source: "poet",
  },
  outputDir: {
    yaml: "output_dir", type: text("DIR"), default: "", group: "Model and data",
    help: "required: where checkpoint-N/, the final model and log.jsonl are written", source: "HF",
  },
  chatTemplate: {
    yaml: "chat_template", type: orNone(text("JINJA")), default: null, defaultText: "the tokenizer's", group: "Model and data",
    help: "Jinja chat template (the source text) for conversational rows, replacing the tokenizer's", source: "handbook",
  },
  skipInvalidRows: {
    yaml: "skip_invalid_rows", type: bool, default: false, group: "Model and data",
    help: "skip and count malformed data rows instead of stopping at the first", source: "poet",
  },
  loss: {
    yaml: "loss_type", flag: "loss", type: lossType, default: "dpo", group: "Loss",
    help: "preference loss; YAML: sigmoid = dpo, and a file with gamma_beta_ratio but no loss_type is simpo", source: "TRL",
  },
  truncation: {
    yaml: "truncation",
    aliases: [{
      key: "use_poet",
      expects: "true or false",
      fromYaml: (v) => (v === true ? "poet" : v === false ? "none" : undefined),
    }],
    type: text("MODE"), default: "none", group: "Loss",
    help: "completion truncation: none, poet (POET, arXiv 2506.09457), poet:F, response:F", source: "poet, POET code",
  },
  beta: {
    yaml: "beta", type: num, default: DEFAULT_BETA.dpo, defaultText: `${DEFAULT_BETA.dpo}; ${DEFAULT_BETA.simpo} for simpo`, group: "Loss",
    help: "inverse temperature of the implicit reward (IPO's tau, ORPO's lambda)", source: "TRL; SimPO",
  },
  gammaBetaRatio: {
    yaml: "gamma_beta_ratio", type: orNone(num), default: null, defaultText: `${DEFAULT_GAMMA_BETA_RATIO} if no gamma is given`, group: "Loss",
    help: "SimPO target margin as gamma / beta (gamma = ratio * beta)", source: "SimPO",
  },
  simpoGamma: {
    yaml: "simpo_gamma", type: orNone(num), default: null, defaultText: "none", group: "Loss",
    help: "SimPO target margin gamma, absolute; give this or --gamma-beta-ratio", source: "TRL CPOConfig",
  },
  labelSmoothing: {
    yaml: "label_smoothing", type: num, default: 0, group: "Loss",
    help: "assumed rate of flipped labels (cDPO), in [0, 0.5); read by dpo and simpo", source: "TRL",
  },
  rpoAlpha: {
    yaml: "rpo_alpha", type: noneAs(num, 0), default: 0, group: "Loss",
    help: "weight of the chosen completions' NLL added to the loss (RPO, arXiv 2404.19733); 0: none", source: "TRL",
  },
  learningRate: {
    yaml: "learning_rate", type: num, default: 5e-5, group: "Optimizer and schedule",
    help: "peak AdamW learning rate", source: "HF",
  },
  lrSchedulerType: {
    yaml: "lr_scheduler_type", type: oneOf(schedulerNames), default: "linear", group: "Optimizer and schedule",
    help: "learning-rate schedule after warmup", source: "HF",
  },
  warmupRatio: {
    yaml: "warmup_ratio", type: num, default: 0, group: "Optimizer and schedule",
    help: "linear warmup over this fraction of the total steps", source: "HF",
  },
  warmupSteps: {
    yaml: "warmup_steps", type: int, default: 0, group: "Optimizer and schedule",
    help: "linear warmup steps; overrides --warmup-ratio when > 0", source: "HF",
  },
  adamBeta1: {
    yaml: "adam_beta1", type: num, default: 0.9, group: "Optimizer and schedule",
    help: "AdamW first-moment decay", source: "HF",
  },
  adamBeta2: {
    yaml: "adam_beta2", type: num, default: 0.999, group: "Optimizer and schedule",
    help: "AdamW second-moment decay", source: "HF",
  },
  adamEpsilon: {
    yaml: "adam_epsilon", type: num, default: 1e-8, group: "Optimizer and schedule",
    help: "AdamW epsilon", source: "HF",
  },
  weightDecay: {
    yaml: "weight_decay", type: num, default: 0, group: "Optimizer and schedule",
    help: "AdamW decoupled weight decay", source: "HF",
  },
  maxGradNorm: {
    yaml: "max_grad_norm", type: num, default: 1.0, group: "Optimizer and schedule",
    help: "clip the global gradient norm to this; 0 disables", source: "HF",
  },
  seed: {
    yaml: "seed", type: int, default: 42, group: "Optimizer and schedule",
    help: "seed of the data order and of the --eval-fraction split", source: "HF",
  },
  perDeviceTrainBatchSize: {
    yaml: "per_device_train_batch_size", type: int, default: 8, group: "Batches and length",
    help: "pairs per micro-batch (poet runs one process: one device)", source: "HF",
  },
  perDeviceEvalBatchSize: {
    yaml: "per_device_eval_batch_size", type: int, default: 8, group: "Batches and length",
    help: "pairs per evaluation batch", source: "HF",
  },
  gradientAccumulationSteps: {
    yaml: "gradient_accumulation_steps", type: int, default: 1, group: "Batches and length",
    help: "micro-batches per optimizer step", source: "HF",
  },
  numTrainEpochs: {
    yaml: "num_train_epochs", type: num, default: 3, group: "Batches and length",
    help: "passes over the training data (may be fractional)", source: "HF",
  },
  maxSteps: {
    yaml: "max_steps", type: int, default: -1, group: "Batches and length",
    help: "optimizer steps to take, overriding --num-train-epochs; -1: use epochs", source: "HF",
  },
  maxLength: {
    yaml: "max_length", type: orNone(int), default: 1024, group: "Batches and length",
    help: "longest prompt + completion in tokens, TRL's truncation rule; none: no limit", source: "TRL",
  },
  maxPromptLength: {
    yaml: "max_prompt_length", type: orNone(int), default: 512, group: "Batches and length",
    help: "prompt tokens kept (its end) when a pair exceeds --max-length; none: no limit", source: "TRL",
  },
  bf16: {
    yaml: "bf16", type: bool, default: false, group: "Batches and length",
    help: "ask for bfloat16 mixed precision; poet warns when its engine computes in float32 instead", source: "HF",
  },
  evalStrategy: {
    yaml: "eval_strategy",
    aliases: [{ key: "evaluation_strategy", expects: oneOf(strategies).expects, fromYaml: oneOf(strategies).fromYaml }],
    type: oneOf(strategies), default: "no", group: "Evaluation, logging, checkpoints",
    help: "when to evaluate during training", source: "HF",
  },
  evalSteps: {
    yaml: "eval_steps", type: orNone(int), default: null, defaultText: "--logging-steps", group: "Evaluation, logging, checkpoints",
    help: "optimizer steps between evaluations when --eval-strategy steps", source: "HF",
  },
  loggingSteps: {
    yaml: "logging_steps", type: int, default: 500, group: "Evaluation, logging, checkpoints",
    help: "optimizer steps between log lines (averaged metrics)", source: "HF",
  },
  saveStrategy: {
    yaml: "save_strategy", type: oneOf(strategies), default: "steps", group: "Evaluation, logging, checkpoints",
    help: "when to write checkpoint-N/", source: "HF",
  },
  saveSteps: {
    yaml: "save_steps", type: int, default: 500, group: "Evaluation, logging, checkpoints",
    help: "optimizer steps between checkpoints when --save-strategy steps", source: "HF",
  },
  saveTotalLimit: {
    yaml: "save_total_limit", type: orNone(int), default: null, group: "Evaluation, logging, checkpoints",
    help: "keep only the newest N checkpoints; none: keep all", source: "HF",
  },
  resumeFromCheckpoint: {
    yaml: "resume_from_checkpoint", type: orNone(text("DIR|latest")), default: null, group: "Evaluation, logging, checkpoints",
    help: "continue from a checkpoint-N/ directory, or latest in --output-dir", source: "HF",
  },
};

// ---- keys poet knows but does not honour -----------------------------------------------------------------------

/**
 * `ignored`: a setting of machinery poet lacks (GPUs, the Hub, trackers); the file loads and the key is reported
 * once in a warning. `fixed`: poet always does what one value of the key asks; that value loads silently, any other
 * is a UserError, because ignoring it would change what is trained.
 */
export type OtherKey =
  | { readonly kind: "ignored"; readonly reason: string }
  | { readonly kind: "fixed"; readonly accepts: readonly unknown[]; readonly reason: string };

function ignored(keys: readonly string[], reason: string): Record<string, OtherKey> {
  return Object.fromEntries(keys.map((k) => [k, { kind: "ignored", reason }]));
}

function fixed(key: string, accepts: readonly unknown[], reason: string): Record<string, OtherKey> {
  return { [key]: { kind: "fixed", accepts, reason } };
}

export const OTHER_KEYS: Readonly<Record<string, OtherKey>> = {
  ...ignored(["torch_dtype", "tf32", "fp16"],
    "GPU number formats; poet's engine computes in float32 (see bf16)"),
  ...ignored(["attn_implementation", "use_flash_attention_2"],
    "a choice of GPU attention kernel; poet has one, computing the same attention"),
  ...ignored(["gradient_checkpointing", "gradient_checkpointing_kwargs"],
    "recomputes activations to save GPU memory; the gradients are the same"),
  ...ignored(["deepspeed", "fsdp", "fsdp_config", "local_rank", "ddp_backend", "ddp_timeout", "ddp_find_unused_parameters",
    "ddp_bucket_cap_mb", "ddp_broadcast_buffers"],
  "multi-GPU distribution; poet trains in one process (multiply gradient_accumulation_steps by the GPU count to keep a batch)"),
  ...ignored(["dataset_splits", "dataset_configs"],
    "Hub dataset splits; poet reads files: --data trains, --eval-data (or --eval-fraction) evaluates"),
  ...ignored(["preprocessing_num_workers", "dataset_num_proc", "dataloader_num_workers", "dataloader_pin_memory"],
    "worker processes for tokenizing and loading; poet does both in-process"),
  ...ignored(["model_revision", "base_model_revision"],
    "a Hub revision; poet loads the local directory given as --model"),
  ...ignored(["trust_remote_code"],
    "runs model code from the Hub; poet implements its architectures itself"),
  ...ignored(["push_to_hub", "hub_model_id", "hub_strategy", "hub_token", "hub_private_repo", "hub_model_revision", "hub_revision"],
    "uploads to the Hugging Face Hub; poet writes --output-dir only"),
  ...ignored(["report_to", "run_name"],
    "experiment trackers (W&B, TensorBoard); poet logs to --output-dir/log.jsonl and the terminal"),
  ...ignored(["log_level", "log_level_replica", "logging_first_step"],
    "Python logging; poet logs every --logging-steps steps and the last"),
  ...ignored(["do_train"],
    "poet train always trains"),
  ...ignored(["do_eval"],
    "poet evaluates after training whenever it has eval pairs (--eval-data, --eval-fraction), as do_eval asks"),
  ...ignored(["save_only_model"],
    "poet's checkpoints always hold the optimizer state, so any of them can be resumed"),
  ...ignored(["remove_unused_columns"],
    "HF Trainer's dataset column pruning; poet reads only the columns it needs"),
  ...ignored(["precompute_ref_log_probs"],
    "poet always computes the reference log-probs once, before training, and caches them"),
  ...fixed("optim", ["adamw_torch", "adamw_torch_fused"],
    "poet's optimizer is torch.optim.AdamW's update (src/train/adamw.ts)"),
  ...fixed("truncation_mode", ["keep_end"],
    "poet keeps the end of a prompt that exceeds max_prompt_length, as TRL's default"),
  ...fixed("disable_dropout", [true],
    "poet's models have no dropout, as TRL's default disable_dropout: true"),
  ...fixed("use_peft", [false], "poet trains every weight; it has no LoRA"),
  ...fixed("load_in_4bit", [false], "poet has no quantized training"),
  ...fixed("load_in_8bit", [false], "poet has no quantized training"),
  ...fixed("max_completion_length", [null],
    "poet limits completions through max_length and max_prompt_length only"),
  ...fixed("sft_weight", [0, null],
    "SimPO's SFT term is over the whole, untruncated chosen completion; poet's rpo_alpha adds the NLL of the scored tokens"),
};

// ---- names -----------------------------------------------------------------------------------------------------

/** A field's flag, without "--". */
export function flagOf<K extends keyof TrainConfig>(field: K): string {
  const spec: FieldSpec<TrainConfig[K]> = TRAIN_FIELDS[field];
  return spec.flag ?? spec.yaml.replaceAll("_", "-");
}

/** The fields in table order. */
export const FIELD_NAMES = Object.keys(TRAIN_FIELDS) as (keyof TrainConfig)[];

export { didYouMean } from "../did-you-mean.js";
