// Turns a conversational preference pair into prompt/chosen/rejected text with the chat template, like
// TRL's maybe_apply_chat_template. Does not tokenize, and adds no EOS (encode.ts does).

import { ChatTemplateError, type ChatMessage, type ChatRenderOptions } from "./chat-template.js";
import { RowProblem } from "./row-problem.js";

/** Renders messages with a chat template (PoetTokenizer.applyChatTemplate). */
export type RenderChat = (messages: readonly ChatMessage[], options?: ChatRenderOptions) => string;

/** A preference pair as text, ready to tokenize. */
export interface TextPair {
  prompt: string;
  chosen: string;
  rejected: string;
}

/**
 * The prompt is rendered alone with a generation prompt when its last message is from the user, or
 * continued when it is from the assistant (a prefilled answer); each completion is the rendering of
 * prompt + completion with that prompt text cut off its front. If the template does not render the
 * prompt as a prefix of prompt + completion, the row is refused (as TRL does). An empty prompt renders
 * to "" and each completion is rendered on its own.
 * Throws RowProblem for problems of this row; UserError (no or unparsable template) propagates.
 */
export function renderChatPair(
  render: RenderChat,
  prompt: readonly ChatMessage[],
  chosen: readonly ChatMessage[],
  rejected: readonly ChatMessage[],
): TextPair {
  try {
    if (prompt.length === 0) return { prompt: "", chosen: render(chosen), rejected: render(rejected) };
    const lastRole = prompt[prompt.length - 1]?.role;
    if (lastRole !== "user" && lastRole !== "assistant") {
      throw new RowProblem(
        `the prompt's last message has role "${lastRole}": it must be "user" (the model answers it) or "assistant" (the completions continue it)`,
      );
    }
    const promptText = render(prompt, lastRole === "user" ? { addGenerationPrompt: true } : { continueFinalMessage: true });
    return {
      prompt: promptText,
      chosen: completionText(render, prompt, chosen, promptText, "chosen"),
      rejected: completionText(render, prompt, rejected, promptText, "rejected"),
    };
  } catch (err) {
    if (err instanceof ChatTemplateError) throw new RowProblem(err.message);
    throw err;
  }
}

function completionText(
  render: RenderChat,
  prompt: readonly ChatMessage[],
  completion: readonly ChatMessage[],
  promptText: string,
  field: string,
): string {
  const whole = render([...prompt, ...completion]);
  if (!whole.startsWith(promptText)) {
    let at = 0;
    while (at < promptText.length && promptText[at] === whole[at]) at++;
    const snippet = (text: string) => JSON.stringify(text.slice(at, at + 30));
    throw new RowProblem(
      `the chat template renders the prompt alone differently from the start of prompt + ${field} ` +
        `(from character ${at}: ${snippet(promptText)} vs ${snippet(whole)}), so the completion cannot be cut off it; ` +
        `give the prompt as messages the template renders consistently, or give text or pre-tokenized rows`,
    );
  }
  return whole.slice(promptText.length);
}
