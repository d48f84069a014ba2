/**
 * A thin wrapper over @huggingface/tokenizers (the tokenizer that transformers.js runs) with the
 * ids training and generation need. Loads any HF `tokenizer.json` + `tokenizer_config.json`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  chatTemplateOf,
  specialTokenText,
  type TokenizerConfig,
  type TokenizerJson,
} from './tokenizer-files.ts';

export interface EncodeOptions {
  /** Apply the post-processor (prepend BOS for Llama tokenizers). HF's default is true. Use false
   *  for text that already went through a chat template, which writes the BOS text itself. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

export interface LoadedTokenizer {
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: ArrayLike<number> | ArrayLike<bigint>, options?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** '' when the tokenizer has none (Qwen2/Qwen3: bos_token null), as HF's template variable renders it. */
  bosToken: string;
  /** Whether tokenizer_config.json names a BOS token. */
  hasBos: boolean;
  eosToken: string;
  /** The configured pad token, else the EOS token (TRL pads with EOS when there is none). */
  padToken: string;
  /**
   * The BOS id; for a tokenizer without one, the pad id (else EOS), which is what such models'
   * config.json holds as bos_token_id (Qwen3: 151643 = <|endoftext|>). Check hasBos before
   * treating it as a prefix of encoded text.
   */
  bosId: number;
  eosId: number;
  padId: number;
  /** Number of ids (largest id + 1, added tokens included): the model's minimum vocab_size. */
  vocabSize: number;
  specialIds: ReadonlySet<number>;
  /** From tokenizer_config.json (or chat_template.jinja when loaded from a folder). */
  chatTemplate: string | undefined;
  tokenizerJson: TokenizerJson;
  tokenizerConfig: TokenizerConfig;
}

/** Builds a tokenizer from the two parsed files. */
export function createTokenizer(tokenizerJson: TokenizerJson, tokenizerConfig: TokenizerConfig): LoadedTokenizer {
  // The library reads special tokens from the config as plain strings.
  const additional = (tokenizerConfig.additional_special_tokens ?? [])
    .map((t) => specialTokenText(t))
    .filter((t): t is string => t !== undefined);
  const libConfig = { ...tokenizerConfig, additional_special_tokens: additional };
  for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token'] as const) {
    const text = specialTokenText(tokenizerConfig[key]);
    (libConfig as Record<string, unknown>)[key] = text ?? null;
  }
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(tokenizerJson, libConfig);
  } catch (e) {
    throw new Error(`tokenizer.json could not be loaded: ${(e as Error).message}`);
  }
  const idOf = (field: 'bos_token' | 'eos_token' | 'pad_token'): [string, number] | undefined => {
    const text = specialTokenText(tokenizerConfig[field]);
    if (text === undefined) return undefined;
    const id = tok.token_to_id(text);
    if (id === undefined) {
      throw new Error(`tokenizer_config.json ${field} ${JSON.stringify(text)} is not in tokenizer.json's vocabulary`);
    }
    return [text, id];
  };
  const bos = idOf('bos_token');
  const eos = idOf('eos_token');
  // Qwen2/Qwen3 name no BOS (bos_token null, add_bos_token false): their templates start with
  // <|im_start|>. Every decoder-only family names an EOS: generation cannot stop without one.
  if (eos === undefined) {
    throw new Error(
      `tokenizer_config.json must name eos_token (the token that ends a sequence); got eos_token ${JSON.stringify(tokenizerConfig.eos_token)}`,
    );
  }
  const pad = idOf('pad_token') ?? eos;
  let maxId = -1;
  for (const id of tok.get_vocab(true).values()) maxId = Math.max(maxId, id);
  const specialIds = new Set<number>(tokenizerJson.added_tokens.filter((t) => t.special).map((t) => t.id));
  for (const t of additional) {
    const id = tok.token_to_id(t);
    if (id !== undefined) specialIds.add(id);
  }
  return {
    encode: (text, { addSpecialTokens = true } = {}) => tok.encode(text, { add_special_tokens: addSpecialTokens }).ids,
    decode: (ids, { skipSpecialTokens = false } = {}) => {
      const list = Array.from(ids as ArrayLike<number | bigint>, Number);
      return list.length === 0 ? '' : tok.decode(list, { skip_special_tokens: skipSpecialTokens });
    },
    tokenToId: (token) => tok.token_to_id(token),
    idToToken: (id) => tok.id_to_token(id),
    bosToken: bos?.[0] ?? '',
    hasBos: bos !== undefined,
    eosToken: eos[0],
    padToken: pad[0],
    bosId: bos?.[1] ?? pad[1],
    eosId: eos[1],
    padId: pad[1],
    vocabSize: maxId + 1,
    specialIds,
    chatTemplate: chatTemplateOf(tokenizerConfig),
    tokenizerJson,
    tokenizerConfig,
  };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Loads `tokenizer.json` + `tokenizer_config.json` from a folder (a checkpoint or an HF model
 * folder). A separate `chat_template.jinja` (newer transformers save it beside the config) is used
 * when the config has no chat_template.
 */
export async function loadTokenizer(dir: string): Promise<LoadedTokenizer> {
  const tokenizerJson = (await readJson(join(dir, 'tokenizer.json'))) as TokenizerJson;
  const tokenizerConfig = (await readJson(join(dir, 'tokenizer_config.json'))) as TokenizerConfig;
  if (chatTemplateOf(tokenizerConfig) === undefined) {
    const jinja = await readFile(join(dir, 'chat_template.jinja'), 'utf8').catch(() => undefined);
    if (jinja !== undefined) tokenizerConfig.chat_template = jinja;
  }
  return createTokenizer(tokenizerJson, tokenizerConfig);
}
