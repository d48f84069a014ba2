/**
 * The prompt text a policy sees: its chat template rendered on the user turn(s) with the
 * generation prompt (SPPO-REFERENCE 2.2 step 2, without the official "None"-cut; see
 * chat-template.ts), with the tokenizer's special tokens as template variables.
 */
import { promptMessages, renderChat, type ChatMessage } from '../chat-template.ts';
import { SamplingError } from './errors.ts';

export interface PromptTemplateOptions {
  /** The run config's chat_template override, else the model's. */
  chatTemplate: string | undefined;
  bosToken: string;
  eosToken: string;
  padToken?: string;
}

export function renderGenerationPrompt(prompt: string | readonly ChatMessage[], { chatTemplate, bosToken, eosToken, padToken }: PromptTemplateOptions): string {
  if (chatTemplate === undefined) {
    throw new SamplingError(
      'invalid_model',
      'the model has no chat template (tokenizer_config.json chat_template or chat_template.jinja): set chat_template in the run config or send raw completions',
      { param: 'chat_template' },
    );
  }
  let messages: ChatMessage[];
  try {
    messages = promptMessages(prompt);
  } catch (e) {
    throw new SamplingError('invalid_prompt', (e as Error).message, { param: 'messages' });
  }
  try {
    return renderChat(chatTemplate, messages, { addGenerationPrompt: true, bosToken, eosToken, ...(padToken === undefined ? {} : { padToken }) });
  } catch (e) {
    throw new SamplingError('invalid_prompt', `the chat template failed to render the prompt: ${(e as Error).message}`, { param: 'messages' });
  }
}
