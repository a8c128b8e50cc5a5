// Renders a model's Jinja chat template the way transformers' apply_chat_template does (same variables,
// same handling of add_generation_prompt and continue_final_message). Does not tokenize.

import { Template } from "@huggingface/jinja";
import { UserError } from "../errors.js";

/** One chat turn. Extra keys (e.g. `name`) are passed to the template untouched, as transformers does. */
export interface ChatMessage {
  role: string;
  content: string;
  readonly [key: string]: unknown;
}

/** How to end a rendered conversation. */
export interface ChatRenderOptions {
  /** Append the template's cue for the assistant to answer (transformers' add_generation_prompt). */
  addGenerationPrompt?: boolean;
  /** End the text right after the last message's content, leaving it open (transformers' continue_final_message). */
  continueFinalMessage?: boolean;
}

/**
 * The template failed on one conversation (its `raise_exception`, or a runtime error). A UserError
 * without a location, so callers that know the row can add it.
 */
export class ChatTemplateError extends UserError {
  override name = "ChatTemplateError";
}

/**
 * The template to use from a `chat_template` value as found in tokenizer_config.json or
 * chat_template.json: a string, or a list of `{name, template}` of which the one named "default" is used
 * (as transformers does when no name is asked for). `origin` names the file for errors.
 */
export function selectChatTemplate(value: unknown, origin: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    const named = value.filter(
      (entry): entry is { name: string; template: string } =>
        typeof entry === "object" && entry !== null && typeof entry.name === "string" && typeof entry.template === "string",
    );
    if (named.length !== value.length) {
      throw new UserError(`${origin}: chat_template must be a string or a list of {"name", "template"} objects`);
    }
    const chosen = named.find((entry) => entry.name === "default");
    if (chosen === undefined) {
      const names = named.map((entry) => `"${entry.name}"`).join(", ");
      throw new UserError(`${origin}: chat_template lists templates ${names} but none named "default": name the one to use "default"`);
    }
    return chosen.template;
  }
  throw new UserError(`${origin}: chat_template must be a string or a list of {"name", "template"} objects`);
}

/** A parsed chat template plus the special-token variables transformers passes to it. */
export class ChatTemplate {
  private readonly template: Template;

  /**
   * Parses `source`; a template this Jinja implementation cannot parse is a UserError naming `origin`.
   * `specialTokens` are the template variables bos_token, eos_token, ... (strings, as in transformers).
   */
  constructor(
    readonly source: string,
    private readonly origin: string,
    private readonly specialTokens: Readonly<Record<string, unknown>>,
  ) {
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new UserError(`${origin}: cannot parse the chat template (${(err as Error).message}): fix the chat_template`);
    }
  }

  /** Renders `messages` to text. A failure inside the template throws ChatTemplateError. */
  render(messages: readonly ChatMessage[], options: ChatRenderOptions = {}): string {
    const { addGenerationPrompt = false, continueFinalMessage = false } = options;
    if (addGenerationPrompt && continueFinalMessage) {
      // transformers refuses this too: the cue for a new turn would follow an unfinished one.
      throw new Error("addGenerationPrompt and continueFinalMessage cannot both be set");
    }
    let text: string;
    try {
      text = this.template.render({
        ...this.specialTokens,
        messages,
        // transformers always passes these; templates test them with `is not none` / `is defined`.
        tools: null,
        documents: null,
        add_generation_prompt: addGenerationPrompt,
      });
    } catch (err) {
      throw new ChatTemplateError(`the chat template in ${this.origin} failed (${(err as Error).message})`);
    }
    return continueFinalMessage ? cutAfterFinalMessage(text, messages) : text;
  }
}

/**
 * transformers' continue_final_message: end the text where the last message's content ends, dropping
 * the end-of-turn markup the template put after it (so a completion can continue that message).
 */
function cutAfterFinalMessage(text: string, messages: readonly ChatMessage[]): string {
  const final = messages[messages.length - 1]?.content ?? "";
  const stripped = final.trim();
  const location = text.lastIndexOf(stripped);
  if (location < 0) {
    throw new ChatTemplateError("the chat template dropped the last prompt message's text, so it cannot be continued");
  }
  const leftTrimmed = final.trimStart();
  // Same test as transformers: if the template kept the message as is, keep its trailing whitespace;
  // otherwise cut right after its text.
  const end = text.slice(location, location + leftTrimmed.length) === final ? leftTrimmed.length : stripped.length;
  return text.slice(0, location + end);
}
