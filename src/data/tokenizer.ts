// Loads a model directory's Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) with its
// special tokens and chat template. Does not decide what to add around prompts and completions (encode.ts).

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { UserError } from "../errors.js";
import { ChatTemplate, selectChatTemplate, type ChatMessage, type ChatRenderOptions } from "./chat-template.js";

/** A model's tokenizer, with the special tokens and chat template transformers would use. */
export interface PoetTokenizer {
  /** The model directory it was loaded from (for messages). */
  readonly dir: string;
  /** Number of ids the tokenizer can produce (highest id + 1, added tokens included). */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /** The Jinja chat template source, or null when the model has none. */
  readonly chatTemplate: string | null;
  /**
   * Token ids of `text`. `addSpecialTokens` asks the tokenizer's post-processor to add its BOS/EOS etc.;
   * it is required because poet always decides that itself (transformers defaults it to true).
   */
  encode(text: string, options: { addSpecialTokens: boolean }): number[];
  /** Text of `ids` (an empty list gives ""). */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /**
   * Renders `messages` with the chat template, passing messages, add_generation_prompt, bos_token,
   * eos_token, ... like transformers. UserError if there is no template or it does not parse;
   * ChatTemplateError if it fails on these messages.
   */
  applyChatTemplate(messages: readonly ChatMessage[], options?: ChatRenderOptions): string;
}

/**
 * The part of @huggingface/tokenizers 0.2.0's Tokenizer used here. Its published .d.ts files use
 * extensionless relative imports that NodeNext cannot resolve, so the class arrives untyped.
 */
interface HfTokenizerApi {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
  get_vocab(withAddedTokens: boolean): Map<string, number>;
}

/** Special-token keys of tokenizer_config.json that transformers passes to chat templates. */
const TEMPLATE_TOKEN_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] as const;

/**
 * Loads the tokenizer in `dir`, or returns null when `dir` has no tokenizer.json (pre-tokenized data needs
 * none). Reads tokenizer_config.json for special tokens and chat_template; chat_template.jinja or
 * chat_template.json, when present, override the latter (as in transformers). BOS/EOS/PAD come from
 * tokenizer_config.json's `*_token` (a string or `{content}`), else from generation_config.json's then
 * config.json's `*_token_id` (first entry when a list).
 */
export async function loadTokenizer(dir: string): Promise<PoetTokenizer | null> {
  const tokenizerJson = await readJsonFile(join(dir, "tokenizer.json"));
  if (tokenizerJson === undefined) return null;
  const configPath = join(dir, "tokenizer_config.json");
  const config = asObject((await readJsonFile(configPath)) ?? {}, configPath);
  const modelConfigs = [
    asObject((await readJsonFile(join(dir, "generation_config.json"))) ?? {}, join(dir, "generation_config.json")),
    asObject((await readJsonFile(join(dir, "config.json"))) ?? {}, join(dir, "config.json")),
  ];

  let tokenizer: HfTokenizerApi;
  try {
    tokenizer = new Tokenizer(asObject(tokenizerJson, join(dir, "tokenizer.json")), config) as HfTokenizerApi;
  } catch (err) {
    throw new UserError(`${join(dir, "tokenizer.json")}: cannot load this tokenizer (${(err as Error).message})`);
  }

  const special = (name: "bos" | "eos" | "pad") => resolveSpecialToken(tokenizer, name, config, configPath, modelConfigs);
  const bos = special("bos");
  const eos = special("eos");
  const pad = special("pad");

  // Template variables: every special token tokenizer_config names, as strings, like transformers'
  // special_tokens_map; BOS/EOS also when they only came from config.json.
  const variables: Record<string, unknown> = {};
  for (const key of TEMPLATE_TOKEN_KEYS) {
    const token = tokenString(config[key]);
    if (token !== null) variables[key] = token;
  }
  if (bos.token !== null) variables["bos_token"] = bos.token;
  if (eos.token !== null) variables["eos_token"] = eos.token;
  if (pad.token !== null) variables["pad_token"] = pad.token;
  const additional = config["additional_special_tokens"];
  if (Array.isArray(additional)) variables["additional_special_tokens"] = additional.map((t) => tokenString(t) ?? t);

  const template = await findChatTemplate(dir, config, configPath);
  return new HfTokenizer(dir, tokenizer, bos.id, eos.id, pad.id, template, variables);
}

class HfTokenizer implements PoetTokenizer {
  private compiled: ChatTemplate | undefined;
  private size: number | undefined;

  constructor(
    readonly dir: string,
    private readonly tokenizer: HfTokenizerApi,
    readonly bosTokenId: number | null,
    readonly eosTokenId: number | null,
    readonly padTokenId: number | null,
    private readonly template: { source: string; origin: string } | null,
    private readonly variables: Readonly<Record<string, unknown>>,
  ) {}

  get chatTemplate(): string | null {
    return this.template?.source ?? null;
  }

  get vocabSize(): number {
    if (this.size === undefined) {
      let max = -1;
      for (const id of this.tokenizer.get_vocab(true).values()) if (id > max) max = id;
      this.size = max + 1;
    }
    return this.size;
  }

  encode(text: string, options: { addSpecialTokens: boolean }): number[] {
    const ids = this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens }).ids;
    // The library yields undefined for a token outside the vocabulary when the model has no unk token.
    if (ids.some((id) => typeof id !== "number")) {
      throw new UserError(`${this.dir}: the tokenizer met text it has no token for (and no unk_token): ${JSON.stringify(text.slice(0, 80))}`);
    }
    return ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    // The library throws on an empty list; "" is the obvious answer.
    if (ids.length === 0) return "";
    return this.tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  applyChatTemplate(messages: readonly ChatMessage[], options: ChatRenderOptions = {}): string {
    if (this.template === null) {
      throw new UserError(
        `${this.dir}: the model has no chat template: add "chat_template" to tokenizer_config.json (or a chat_template.jinja file)`,
      );
    }
    // Parsed on first use, so a template this Jinja cannot parse only matters to data that needs it.
    this.compiled ??= new ChatTemplate(this.template.source, this.template.origin, this.variables);
    return this.compiled.render(messages, options);
  }
}

/** The chat template source and the file it came from, or null. */
async function findChatTemplate(
  dir: string,
  config: Record<string, unknown>,
  configPath: string,
): Promise<{ source: string; origin: string } | null> {
  const jinjaPath = join(dir, "chat_template.jinja");
  const jinja = await readTextFile(jinjaPath);
  if (jinja !== undefined) return { source: jinja, origin: jinjaPath };
  const jsonPath = join(dir, "chat_template.json");
  const json = await readJsonFile(jsonPath);
  if (json !== undefined) {
    const source = selectChatTemplate(asObject(json, jsonPath)["chat_template"], jsonPath);
    if (source !== null) return { source, origin: jsonPath };
  }
  const source = selectChatTemplate(config["chat_template"], configPath);
  return source === null ? null : { source, origin: configPath };
}

function resolveSpecialToken(
  tokenizer: HfTokenizerApi,
  name: "bos" | "eos" | "pad",
  config: Record<string, unknown>,
  configPath: string,
  modelConfigs: Record<string, unknown>[],
): { id: number | null; token: string | null } {
  const token = tokenString(config[`${name}_token`]);
  if (token !== null) {
    const id = tokenizer.token_to_id(token);
    if (id === undefined) {
      throw new UserError(`${configPath}: ${name}_token ${JSON.stringify(token)} is not a token of tokenizer.json: fix ${name}_token`);
    }
    return { id, token };
  }
  // tokenizer_config.json wins (it is what TRL's tokenizer.eos_token_id reads); the model configs only fill gaps.
  for (const modelConfig of modelConfigs) {
    const value = modelConfig[`${name}_token_id`];
    const id = Array.isArray(value) ? value[0] : value;
    if (typeof id === "number" && Number.isInteger(id) && id >= 0) {
      return { id, token: tokenizer.id_to_token(id) ?? null };
    }
  }
  return { id: null, token: null };
}

/** A special token as tokenizer_config.json writes it: a string or an AddedToken-like `{content}`. */
function tokenString(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return null;
}

async function readTextFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

async function readJsonFile(path: string): Promise<unknown> {
  const text = await readTextFile(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UserError(`${path}: invalid JSON (${(err as Error).message}): fix or replace the file`);
  }
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new UserError(`${path}: expected a JSON object`);
}
