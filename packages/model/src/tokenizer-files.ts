/**
 * The two HF tokenizer files: `tokenizer.json` (the `tokenizers` library's serialisation) and
 * `tokenizer_config.json` (transformers' `PreTrainedTokenizerFast` settings: special tokens,
 * chat template, model_max_length). Types cover what we write and read; other keys pass through.
 */

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface TokenizerJson {
  version: string;
  truncation: unknown;
  padding: unknown;
  added_tokens: AddedTokenJson[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: { type: string; vocab: Record<string, number> | unknown; merges?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

/** A special token as older configs store it: a string or an AddedToken dict. */
export type SpecialTokenValue = string | { content: string; [key: string]: unknown } | null;

export interface TokenizerConfig {
  added_tokens_decoder?: Record<string, Omit<AddedTokenJson, 'id'>>;
  bos_token?: SpecialTokenValue;
  eos_token?: SpecialTokenValue;
  pad_token?: SpecialTokenValue;
  unk_token?: SpecialTokenValue;
  additional_special_tokens?: SpecialTokenValue[];
  /** A template, or (some HF repos) a list of named templates of which 'default' is used. */
  chat_template?: string | { name: string; template: string }[];
  clean_up_tokenization_spaces?: boolean;
  model_max_length?: number;
  tokenizer_class?: string;
  [key: string]: unknown;
}

/** The text of a special-token field, whichever form it is stored in. */
export function specialTokenText(value: SpecialTokenValue | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.content;
}

/** The chat template of a config (the 'default' one when the config lists several). */
export function chatTemplateOf(config: TokenizerConfig): string | undefined {
  const t = config.chat_template;
  if (t === undefined || t === null) return undefined;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return (t.find((x) => x.name === 'default') ?? t[0])?.template;
  return undefined;
}

export interface BuildTokenizerConfigOptions {
  tokenizerJson: TokenizerJson;
  bosToken: string;
  eosToken: string;
  padToken?: string;
  additionalSpecialTokens?: readonly string[];
  chatTemplate?: string;
  modelMaxLength?: number;
}

/**
 * A `tokenizer_config.json` for a `tokenizer.json`, as transformers' `save_pretrained` writes it for
 * a fast tokenizer. clean_up_tokenization_spaces is false so that decode(encode(x)) === x (the
 * clean-up would turn " ." into "."); transformers.js needs tokenizer_class (ENVIRONMENT.md).
 */
export function buildTokenizerConfig({
  tokenizerJson,
  bosToken,
  eosToken,
  padToken,
  additionalSpecialTokens = [],
  chatTemplate,
  modelMaxLength = 1024,
}: BuildTokenizerConfigOptions): TokenizerConfig {
  const present = new Set(tokenizerJson.added_tokens.map((t) => t.content));
  for (const t of [bosToken, eosToken, padToken, ...additionalSpecialTokens]) {
    if (t !== undefined && !present.has(t)) {
      throw new Error(`buildTokenizerConfig: special token ${JSON.stringify(t)} is not an added token of tokenizer.json`);
    }
  }
  const config: TokenizerConfig = {
    added_tokens_decoder: Object.fromEntries(
      tokenizerJson.added_tokens.map(({ id, ...rest }) => [String(id), rest]),
    ),
    bos_token: bosToken,
    eos_token: eosToken,
    pad_token: padToken ?? null,
    unk_token: null,
    additional_special_tokens: [...additionalSpecialTokens],
    clean_up_tokenization_spaces: false,
    model_input_names: ['input_ids', 'attention_mask'],
    model_max_length: modelMaxLength,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
  if (chatTemplate !== undefined) config.chat_template = chatTemplate;
  return config;
}
