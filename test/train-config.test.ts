// The configuration of poet train / poet eval: the POET and SimPO papers' YAML configs load as shipped, flags
// override them, defaults are those of HF TrainingArguments and TRL DPOConfig, and each user mistake is a UserError
// naming the file and line or the flag, with a did-you-mean where one is near.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { UserError } from "../src/errors.js";
import { FIELD_NAMES, OTHER_KEYS, TRAIN_FIELDS, flagOf } from "../src/train/config-keys.js";
import {
  TRAIN_DEFAULTS, ignoredKeysWarning, loadConfigFile, loadTrainConfig, lossConfigOf, parseTrainFlags,
  resolvedSimpoGamma, trainFlagsHelp, validate, type TrainConfig,
} from "../src/train/config.js";

const CONFIGS = fileURLToPath(new URL("../../test/fixtures/configs/", import.meta.url));
const SIMPO_POET = join(CONFIGS, "poet", "llama-3-8b-base-simpo-poet.yaml");
const DPO_POET = join(CONFIGS, "poet", "llama-3-8b-base-dpo-poet.yaml");
const GEMMA_DPO_POET = join(CONFIGS, "poet", "gemma-2-9b-it-dpo-poet.yaml");
const SIMPO_MISTRAL = join(CONFIGS, "simpo", "mistral-7b-instruct-simpo.yaml");
const FIXTURES = [SIMPO_POET, DPO_POET, GEMMA_DPO_POET, SIMPO_MISTRAL];

/** What a local run of a paper config adds: the Hub ids in the files become local paths. */
const LOCAL = ["--model", "models/llama-3-8b-sft", "--data", "pairs.jsonl", "--output-dir", "out"];
const LOCAL_VALUES = { model: "models/llama-3-8b-sft", data: "pairs.jsonl", outputDir: "out" };

const tmp = mkdtempSync(join(tmpdir(), "poet-train-config-"));
let files = 0;
function yamlFile(text: string): string {
  const path = join(tmp, `config-${++files}.yaml`);
  writeFileSync(path, text);
  return path;
}

function userError(fn: () => unknown, ...needles: (string | RegExp)[]): string {
  let message = "";
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `UserError expected, got ${String(e)}`);
    message = e.message;
    return true;
  });
  for (const n of needles)
    if (typeof n === "string") assert.ok(message.includes(n), `message should contain ${JSON.stringify(n)}:\n${message}`);
    else assert.match(message, n);
  return message;
}

/** The hyper-parameters every paper config shares (run on 4 GPUs; see test/fixtures/configs/README.md). */
const PAPER_COMMON: Partial<TrainConfig> = {
  lrSchedulerType: "cosine", warmupRatio: 0.1, numTrainEpochs: 1, maxLength: 2048, maxPromptLength: 1800,
  bf16: true, evalStrategy: "steps", evalSteps: 400, loggingSteps: 5, saveSteps: 1000000, seed: 42,
};

test("the POET paper's SimPO + POET config loads with only model, data and output dir given", () => {
  const { config, warnings } = loadTrainConfig(["--config", SIMPO_POET, ...LOCAL]);
  assert.deepEqual(config, {
    ...TRAIN_DEFAULTS, ...PAPER_COMMON, ...LOCAL_VALUES,
    loss: "simpo", truncation: "poet", beta: 2.0, gammaBetaRatio: 0.5, learningRate: 6e-7,
    perDeviceTrainBatchSize: 2, perDeviceEvalBatchSize: 4, gradientAccumulationSteps: 16,
    saveStrategy: "epoch", saveTotalLimit: 20,
  });
  // gamma = gamma_beta_ratio * beta, as the SimPO / POET code computes it
  assert.deepEqual(lossConfigOf(config), { beta: 2.0, labelSmoothing: 0, simpoGamma: 1.0, rpoAlpha: 0 });
  assert.equal(warnings.length, 2, warnings.join("\n"));
  assert.match(warnings[0]!, /ignoring 13 keys/);
  assert.ok(warnings[1]!.startsWith(`${SIMPO_POET}:20: evaluation_strategy steps asks for evaluation`), warnings[1]);
});

test("the POET paper's DPO + POET configs are DPO (TRL's sigmoid) against the initial model, POET-truncated", () => {
  const { config } = loadTrainConfig(["--config", DPO_POET, ...LOCAL]);
  assert.deepEqual(config, {
    ...TRAIN_DEFAULTS, ...PAPER_COMMON, ...LOCAL_VALUES,
    loss: "dpo", truncation: "poet", beta: 0.01, learningRate: 5e-7,
    perDeviceTrainBatchSize: 1, perDeviceEvalBatchSize: 2, gradientAccumulationSteps: 32,
    saveStrategy: "epoch", saveTotalLimit: 20,
  });
  assert.equal(config.refModel, null);

  const gemma = loadTrainConfig(["--config", GEMMA_DPO_POET, ...LOCAL]).config;
  assert.equal(gemma.loss, "dpo");
  assert.equal(gemma.saveTotalLimit, 1);
  // the handbook's chat_template, with YAML's "\n" escapes turned into newlines as PyYAML does
  assert.ok(gemma.chatTemplate?.startsWith("{{ bos_token }}{% if messages[0]['role'] == 'system' %}"), gemma.chatTemplate ?? "null");
  assert.ok(gemma.chatTemplate?.includes("| trim + '\n\n' %}"));
  assert.ok(gemma.chatTemplate?.includes("{{'<start_of_turn>model\n'}}"));
});

test("the SimPO repo's config is SimPO without POET; gamma = 0.1 * 2.5", () => {
  const { config } = loadTrainConfig(["--config", SIMPO_MISTRAL, ...LOCAL]);
  assert.deepEqual(config, {
    ...TRAIN_DEFAULTS, ...PAPER_COMMON, ...LOCAL_VALUES,
    loss: "simpo", truncation: "none", beta: 2.5, gammaBetaRatio: 0.1, learningRate: 5e-7,
    perDeviceTrainBatchSize: 2, perDeviceEvalBatchSize: 4, gradientAccumulationSteps: 16,
    saveStrategy: "steps", saveTotalLimit: 20,
  });
  assert.equal(resolvedSimpoGamma(config), 0.1 * 2.5);
});

test("every key of the paper configs is honoured, ignored or fixed; ignored ones are listed once, in file order", () => {
  const honoured = new Set(FIELD_NAMES.flatMap((k) => {
    const s: { yaml: string; aliases?: readonly { key: string }[] } = TRAIN_FIELDS[k];
    return [s.yaml, ...(s.aliases ?? []).map((a) => a.key)];
  }));
  for (const file of FIXTURES) {
    const keys = Object.keys(parse(readFileSync(file, "utf8")) as object);
    for (const key of keys) assert.ok(honoured.has(key) || key in OTHER_KEYS, `${file}: ${key} is not classified`);
    const expected = keys.filter((k) => OTHER_KEYS[k]?.kind === "ignored");
    const { ignored } = loadConfigFile(file);
    assert.deepEqual(ignored.map((k) => k.key), expected, file);

    const warnings = loadTrainConfig(["--config", file, ...LOCAL]).warnings;
    const lists = warnings.filter((w) => w.includes("poet has no machinery for"));
    assert.equal(lists.length, 1, "one warning lists the ignored keys");
    for (const key of expected)
      assert.equal(lists[0]!.match(new RegExp(`(^|[ ,])${key}(?=[,:])`, "gm"))?.length, 1, `${key} named once:\n${lists[0]}`);
  }
  assert.ok(loadConfigFile(SIMPO_POET).ignored.every((k) => k.line !== undefined && k.line > 0));
  assert.equal(ignoredKeysWarning("x.yaml", []), null);
});

test("flags override the file, defaults fill the rest; each value knows where it came from", () => {
  const { config, origin } = parseTrainFlags([
    "--config", SIMPO_POET, ...LOCAL, "--learning-rate", "1e-6", "--beta=2.5", "--truncation", "poet:0.5",
    "--no-bf16", "--max-length", "none", "--save-total-limit", "none", "--eval-fraction", "0.05", "--warmup-steps", "10",
  ]);
  assert.equal(config.learningRate, 1e-6);
  assert.equal(config.beta, 2.5);
  assert.equal(config.truncation, "poet:0.5");
  assert.equal(config.bf16, false);
  assert.equal(config.maxLength, null);
  assert.equal(config.saveTotalLimit, null);
  assert.equal(config.evalFraction, 0.05);
  assert.equal(config.lrSchedulerType, "cosine", "from the file");
  assert.equal(config.weightDecay, 0, "the default");
  assert.equal(origin.learningRate, "--learning-rate");
  assert.equal(origin.truncation, "--truncation");
  assert.equal(origin.lrSchedulerType, `${SIMPO_POET}:30: lr_scheduler_type`);
  assert.equal(origin.loss, `${SIMPO_POET}: gamma_beta_ratio (a SimPO config)`);
  assert.equal(origin.weightDecay, undefined);
  assert.deepEqual(validate(config, { origin }), [
    `--warmup-steps 10 overrides ${SIMPO_POET}:47: warmup_ratio 0.1, as in Hugging Face`,
  ]);

  // a flag's loss overrides the file's; the file's SimPO margin then does nothing, which is said
  const dpo = loadTrainConfig(["--config", SIMPO_POET, ...LOCAL, "--loss", "dpo", "--eval-data", "test.jsonl"]);
  assert.equal(dpo.config.loss, "dpo");
  assert.equal(dpo.config.beta, 2.0, "the file's beta stays");
  assert.deepEqual(dpo.warnings.slice(1), [`${SIMPO_POET}:18: gamma_beta_ratio: no effect with loss dpo (SimPO's margin)`]);

  // --data overrides dataset_mixer; use_poet: false is none
  const mixer = yamlFile("dataset_mixer:\n  HuggingFaceH4/ultrafeedback_binarized: 1.0\nuse_poet: false\n");
  assert.equal(parseTrainFlags(["--config", mixer]).config.data, "HuggingFaceH4/ultrafeedback_binarized");
  const over = parseTrainFlags(["--config", mixer, "--data", "local.jsonl"]);
  assert.equal(over.config.data, "local.jsonl");
  assert.equal(over.config.truncation, "none");
});

test("defaults are those of HF TrainingArguments and TRL DPOConfig; beta's follows the loss", () => {
  assert.deepEqual(TRAIN_DEFAULTS, {
    // poet's own
    model: "", refModel: null, data: "", evalData: null, evalFraction: 0, outputDir: "", chatTemplate: null,
    skipInvalidRows: false, truncation: "none", gammaBetaRatio: null, simpoGamma: null,
    // TRL DPOConfig: loss_type sigmoid, beta 0.1, label_smoothing 0, rpo_alpha None, max_length 1024,
    // max_prompt_length 512
    loss: "dpo", beta: 0.1, labelSmoothing: 0, rpoAlpha: 0, maxLength: 1024, maxPromptLength: 512,
    // HF TrainingArguments
    learningRate: 5e-5, lrSchedulerType: "linear", warmupRatio: 0, warmupSteps: 0, adamBeta1: 0.9, adamBeta2: 0.999,
    adamEpsilon: 1e-8, weightDecay: 0, maxGradNorm: 1.0, seed: 42, perDeviceTrainBatchSize: 8,
    perDeviceEvalBatchSize: 8, gradientAccumulationSteps: 1, numTrainEpochs: 3, maxSteps: -1, bf16: false,
    evalStrategy: "no", evalSteps: null, loggingSteps: 500, saveStrategy: "steps", saveSteps: 500,
    saveTotalLimit: null, resumeFromCheckpoint: null,
  });
  // SimPOConfig (SimPO and POET repos): beta 2.0, gamma_beta_ratio 0.25, so gamma 0.5 = TRL CPOConfig's simpo_gamma
  const simpo = parseTrainFlags([...LOCAL, "--loss", "simpo"]).config;
  assert.equal(simpo.beta, 2.0);
  assert.equal(resolvedSimpoGamma(simpo), 0.5);
  assert.equal(parseTrainFlags([...LOCAL, "--loss", "simpo", "--beta", "3"]).config.beta, 3);
  assert.equal(parseTrainFlags([...LOCAL, "--loss", "ipo"]).config.beta, 0.1);
  assert.equal(resolvedSimpoGamma({ ...simpo, simpoGamma: 1.2 }), 1.2);
  const bare = loadTrainConfig(LOCAL);
  assert.deepEqual(bare.warnings, [], "no config file, nothing to warn about");
});

test("an unknown YAML key is an error naming file, line and key, with a did-you-mean", () => {
  const f = yamlFile("# comment\nlearning_rat: 1.0e-6\n");
  userError(() => loadConfigFile(f), `${f}:2: unknown key "learning_rat" (did you mean learning_rate?)`, "poet train --help");
  userError(() => loadConfigFile(yamlFile("learningRate: 1.0e-6\n")), "(did you mean learning_rate?)");
  userError(() => loadConfigFile(yamlFile("model: m\n")), "(did you mean model_name_or_path?)");
  userError(() => loadConfigFile(yamlFile("evaluation_stratgy: steps\n")), "(did you mean evaluation_strategy?)");
  userError(() => loadConfigFile(yamlFile("push_to_hubb: false\n")), "(did you mean push_to_hub?)");
  const none = userError(() => loadConfigFile(yamlFile("frobnicate_the_widgets: 3\n")), 'unknown key "frobnicate_the_widgets"');
  assert.doesNotMatch(none, /did you mean/);
  // every problem of a file at once, and an unknown flag through the CLI path too
  const both = yamlFile("beta: 0.1\nbetta: 0.2\nlearning_rate: fast\n");
  userError(() => parseTrainFlags(["--config", both]), "2 problems in", `${both}:2: unknown key "betta" (did you mean beta?)`,
    `${both}:3: learning_rate: expected a number, got "fast"`);
});

test("an unknown flag is an error with a did-you-mean", () => {
  userError(() => parseTrainFlags(["--lerning-rate", "1e-6"]), "poet train: unknown flag --lerning-rate (did you mean --learning-rate?); see poet train --help");
  userError(() => parseTrainFlags(["--learning_rate", "1e-6"]), "(did you mean --learning-rate?)");
  userError(() => parseTrainFlags(["--model-name-or-path", "m"]), "(did you mean --model?)");
  userError(() => parseTrainFlags(["--evaluation-strategy", "steps"]), "(did you mean --eval-strategy?)");
  userError(() => parseTrainFlags(["--confg", "x.yaml"]), "(did you mean --config?)");
  userError(() => parseTrainFlags(["--max-lenght", "9"], "eval"), "poet eval: unknown flag --max-lenght (did you mean --max-length?); see poet eval --help");
});

test("values of the wrong type are errors naming the file and key, or the flag", () => {
  const f = yamlFile([
    "per_device_train_batch_size: 2.5", "bf16: yes", "lr_scheduler_type: polynomial",
    "dataset_mixer:\n  a/b: 0.5\n  c/d: 0.5", "use_poet: 1", "model_name_or_path: 7", "loss_type: kto",
  ].join("\n") + "\n");
  userError(() => loadConfigFile(f), "7 problems in",
    `${f}:1: per_device_train_batch_size: expected an integer, got 2.5`,
    `${f}:2: bf16: expected true or false, got "yes"`,
    `${f}:3: lr_scheduler_type: expected one of constant, constant_with_warmup, linear, cosine, got "polynomial"`,
    `${f}:4: dataset_mixer: expected a map with one dataset and weight 1.0`,
    `${f}:7: use_poet: expected true or false, got 1`,
    `${f}:8: model_name_or_path: expected a non-empty string, got 7`,
    `${f}:9: loss_type: expected one of dpo, ipo, hinge, simpo, orpo (or TRL's sigmoid, i.e. dpo), got "kto"`);

  userError(() => parseTrainFlags(["--learning-rate", "abc"]), `--learning-rate "abc": expected a number`);
  userError(() => parseTrainFlags(["--max-steps", "1.5"]), `--max-steps "1.5": expected an integer`);
  userError(() => parseTrainFlags(["--bf16=maybe"]), `--bf16 "maybe": expected true or false`);
  userError(() => parseTrainFlags(["--loss", "sigmoid"]), `--loss "sigmoid": expected one of dpo, ipo, hinge, simpo, orpo`);
  userError(() => parseTrainFlags(["--model=", "x"]), `--model "": expected a non-empty string`);
  userError(() => parseTrainFlags(["--beta"]), "--beta needs a value (a number)");
  userError(() => parseTrainFlags(["--beta", "--seed", "1"]), "--beta needs a value");
  userError(() => parseTrainFlags(["--seed", "1", "--seed=2"]), "--seed is given twice");
  userError(() => parseTrainFlags(["config.yaml"]), `unexpected argument "config.yaml"`, "--config FILE");
  assert.equal(parseTrainFlags(["--max-steps", "-1"]).config.maxSteps, -1, "a negative number is a value, not a flag");
});

test("a file that contradicts itself or asks for what poet cannot do is an error", () => {
  const twice = yamlFile("eval_strategy: steps\nevaluation_strategy: \"no\"\n");
  userError(() => loadConfigFile(twice), `${twice}:2: evaluation_strategy sets the same thing as eval_strategy (line 1); keep one of them`);
  userError(() => loadConfigFile(yamlFile("use_poet: true\ntruncation: none\n")), "truncation sets the same thing as use_poet (line 1)");
  const optim = yamlFile("optim: sgd\n");
  userError(() => loadConfigFile(optim), `${optim}:1: optim: "sgd" is not supported`, `set it to "adamw_torch" or "adamw_torch_fused"`);
  assert.deepEqual(loadConfigFile(yamlFile("optim: adamw_torch\nsft_weight: 0.0\n")).ignored, [], "fixed keys at poet's value load silently");
  userError(() => loadConfigFile(yamlFile("sft_weight: 0.5\n")), "sft_weight: 0.5 is not supported", "rpo_alpha");
  userError(() => loadConfigFile(yamlFile("use_peft: true\n")), "use_peft: true is not supported", "LoRA");
  const hinge = yamlFile("loss_type: hinge\ngamma_beta_ratio: 0.5\n");
  userError(() => loadConfigFile(hinge), `${hinge}:1: loss_type: with gamma_beta_ratio this is SimPO's hinge variant`);
  assert.equal(loadConfigFile(yamlFile("loss_type: simpo\nsimpo_gamma: 0.8\n")).values.loss, "simpo", "TRL CPOConfig's spelling");
  assert.equal(loadConfigFile(yamlFile("loss_type: sigmoid\n")).values.loss, "dpo");

  const broken = yamlFile("beta: 0.1\nlearning_rate: [1\n");
  userError(() => loadConfigFile(broken), `${broken}:`, "not valid YAML");
  userError(() => loadConfigFile(yamlFile("beta: 0.1\nbeta: 0.2\n")), "not valid YAML");
  userError(() => loadConfigFile(yamlFile("- beta\n- 0.1\n")), "expected \"key: value\" lines");
  userError(() => loadConfigFile(join(tmp, "missing.yaml")), "missing.yaml: cannot read the config file (ENOENT)");
  assert.deepEqual(loadConfigFile(yamlFile("")).values, {}, "an empty file sets nothing");
});

test("validate: required fields, ranges and consistency, all problems at once, named as the user wrote them", () => {
  userError(() => validate(TRAIN_DEFAULTS), "3 problems", "--model is required", "--data is required", "--output-dir is required",
    "model_name_or_path in the --config file");
  const base: TrainConfig = { ...TRAIN_DEFAULTS, ...LOCAL_VALUES };
  assert.deepEqual(validate(base), []);
  const bad: [Partial<TrainConfig>, string][] = [
    [{ beta: 0 }, "--beta: must be > 0, got 0"],
    [{ labelSmoothing: 0.5 }, "--label-smoothing: must be in [0, 0.5), got 0.5"],
    [{ learningRate: 0 }, "--learning-rate: must be > 0"],
    [{ evalFraction: 1 }, "--eval-fraction: must be in [0, 1)"],
    [{ warmupRatio: 1.5 }, "--warmup-ratio: must be in [0, 1]"],
    [{ adamBeta2: 1 }, "--adam-beta2: must be in [0, 1)"],
    [{ adamEpsilon: 0 }, "--adam-epsilon: must be > 0"],
    [{ maxGradNorm: -1 }, "--max-grad-norm: must be >= 0"],
    [{ maxSteps: 0 }, "--max-steps: must be -1 (train for --num-train-epochs) or a step count >= 1"],
    [{ perDeviceTrainBatchSize: 0 }, "--per-device-train-batch-size: must be an integer >= 1"],
    [{ saveTotalLimit: 0 }, "--save-total-limit: must be an integer >= 1, or none"],
    [{ seed: -1 }, "--seed: must be an integer in [0, 2^32)"],
    [{ numTrainEpochs: 0 }, "--num-train-epochs: must be > 0"],
    [{ maxLength: 512, maxPromptLength: 512 }, "--max-prompt-length: 512 leaves no room for completions within --max-length 512"],
    [{ loss: "simpo", gammaBetaRatio: 0.5, simpoGamma: 1 }, "--gamma-beta-ratio and --simpo-gamma both set SimPO's margin"],
    [{ evalData: "e.jsonl", evalFraction: 0.1 }, "--eval-data and --eval-fraction both choose the eval pairs; give one"],
    [{ truncation: "poet:2" }, "--truncation: \"poet:2\" needs a fraction in (0, 1]"],
    [{ truncation: "halves" }, "--truncation: \"halves\" is not a truncation mode"],
  ];
  for (const [change, message] of bad) userError(() => validate({ ...base, ...change }), message);

  // a bad value from a file is named by file, line and key
  const f = yamlFile("beta: 0\n");
  const parsed = parseTrainFlags(["--config", f, ...LOCAL]);
  userError(() => validate(parsed.config, { origin: parsed.origin }), `${f}:1: beta: must be > 0, got 0`);
  userError(() => loadTrainConfig(["--config", f, ...LOCAL]), `${f}:1: beta: must be > 0`);

  // poet eval needs a model and pairs to score, not an output directory
  assert.deepEqual(validate({ ...TRAIN_DEFAULTS, model: "m", evalData: "e.jsonl" }, { purpose: "eval" }), []);
  userError(() => validate({ ...TRAIN_DEFAULTS, model: "m" }, { purpose: "eval" }), "--eval-data is required");
});

test("validate: warnings for settings without effect and for evaluation without eval pairs", () => {
  const base: TrainConfig = { ...TRAIN_DEFAULTS, ...LOCAL_VALUES };
  assert.deepEqual(validate({ ...base, loss: "simpo", beta: 2, refModel: "ref" }), ["--ref-model: unused, loss simpo is reference-free"]);
  assert.deepEqual(validate({ ...base, loss: "ipo", labelSmoothing: 0.1 }), ["--label-smoothing: no effect with loss ipo (TRL ignores it too)"]);
  assert.deepEqual(validate({ ...base, loss: "dpo", simpoGamma: 0.5 }), ["--simpo-gamma: no effect with loss dpo (SimPO's margin)"]);
  assert.deepEqual(validate({ ...base, lrSchedulerType: "constant", warmupRatio: 0.1 }), ["--lr-scheduler-type: constant has no warmup; use constant_with_warmup to warm up"]);
  const [noEval] = validate({ ...base, evalStrategy: "steps" });
  assert.match(noEval ?? "", /^--eval-strategy steps asks for evaluation, but there are no eval pairs: pass --eval-data FILE or --eval-fraction F/);
  assert.deepEqual(validate({ ...base, evalStrategy: "steps", evalFraction: 0.1 }), []);
  assert.deepEqual(validate({ ...base, evalStrategy: "epoch", evalData: "test.jsonl" }), []);
  assert.deepEqual(validate({ ...base, refModel: "ref" }), [], "dpo uses the reference model");
});

test("--help lists every flag with its value, default and YAML key, from the key table", () => {
  const help = trainFlagsHelp();
  assert.ok(help.includes("--config FILE"));
  for (const k of FIELD_NAMES) {
    const flag = `--${flagOf(k)}`;
    assert.equal(help.match(new RegExp(`^  ${flag}( |$)`, "gm"))?.length, 1, `${flag} listed once`);
    assert.ok(help.includes(`[${TRAIN_FIELDS[k].yaml}`), `${TRAIN_FIELDS[k].yaml} named`);
  }
  const line = (flag: string) => {
    const i = help.search(new RegExp(`^  ${flag}( |$)`, "m"));
    return help.slice(i, help.indexOf("\n  --", i + 1)).replace(/\s+/g, " ");
  };
  assert.match(line("--learning-rate"), /^ --learning-rate X peak AdamW learning rate \(default 5e-5\) \[learning_rate: HF\]/);
  assert.match(line("--adam-epsilon"), /\(default 1e-8\)/);
  assert.match(line("--beta"), /\(default 0\.1; 2 for simpo\)/);
  assert.match(line("--model"), /required/);
  assert.match(line("--eval-strategy"), /no\|steps\|epoch .*\(default no\) \[eval_strategy, evaluation_strategy: HF\]/);
  assert.match(line("--bf16"), /^ --bf16 ask for/, "a switch takes no value");
  for (const l of help.split("\n")) assert.ok(l.length <= 118 || !l.includes(" "), `line too long: ${l}`);
});
