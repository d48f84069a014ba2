/**
 * Where a chat model's turn ends, in token ids: the template's end-of-turn marker (Llama-3
 * `<|eot_id|>`, Qwen `<|im_end|>`, Gemma `<end_of_turn>`, ours `<|end|>`) next to the tokenizer's
 * EOS. HF keeps these in generation_config.json (Llama-3-Instruct: eos_token_id [128001, 128009]),
 * but a folder may lack it or carry the first release's single id (Meta-Llama-3-8B-Instruct's
 * April 2024 generation_config listed only <|end_of_text|>, and generation ran past every
 * <|eot_id|>), so the marker is read from the template itself.
 */
import { assistantTurnTail } from './chat-template.ts';
import type { LoadedTokenizer } from './tokenizer.ts';

export interface EndOfTurn {
  token: string;
  id: number;
}

type TokenizerView = Pick<LoadedTokenizer, 'encode' | 'idToToken' | 'specialIds' | 'bosToken' | 'eosToken' | 'padToken' | 'chatTemplate'>;

const cache = new WeakMap<object, Map<string, EndOfTurn | undefined>>();

/**
 * The special token a template writes right after an assistant message's content, or undefined
 * when there is no template or the text after the content does not start with a special token.
 */
export function endOfTurnToken(tokenizer: TokenizerView, template: string | undefined = tokenizer.chatTemplate): EndOfTurn | undefined {
  if (template === undefined) return undefined;
  let perTemplate = cache.get(tokenizer);
  if (perTemplate === undefined) cache.set(tokenizer, (perTemplate = new Map()));
  if (perTemplate.has(template)) return perTemplate.get(template);
  const tail = assistantTurnTail(template, { bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken, padToken: tokenizer.padToken });
  const first = tail === '' ? undefined : tokenizer.encode(tail, { addSpecialTokens: false })[0];
  const token = first === undefined ? undefined : tokenizer.idToToken(first);
  const found = first !== undefined && token !== undefined && tokenizer.specialIds.has(first) && tail.startsWith(token) ? { token, id: first } : undefined;
  perTemplate.set(template, found);
  return found;
}

/**
 * The ids that end generation: the configured ones (generation_config.json / config.json
 * eos_token_id, else the tokenizer's EOS) plus the template's end-of-turn token, each once.
 */
export function stopTokenIds(
  tokenizer: TokenizerView & Pick<LoadedTokenizer, 'eosId'>,
  { configured, template }: { configured?: readonly number[] | undefined; template?: string | undefined } = {},
): number[] {
  const ids = [...(configured ?? [tokenizer.eosId])];
  const eot = endOfTurnToken(tokenizer, template ?? tokenizer.chatTemplate);
  if (eot !== undefined && !ids.includes(eot.id)) ids.push(eot.id);
  return ids;
}
