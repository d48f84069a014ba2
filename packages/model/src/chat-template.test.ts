import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAT_TEMPLATE, promptMessages, renderChat, splitPromptAndResponse } from './chat-template.ts';
import { syntheticCorpus } from './synthetic-corpus.ts';
import { createTokenizer } from './tokenizer.ts';
import { trainBpeTokenizer } from './tokenizer-train.ts';

const BOS = '<|begin_of_text|>';
const opts = { bosToken: BOS, eosToken: '<|end_of_text|>' };

// A Llama-3-Instruct-style template (header markers, trimmed content, BOS on the first turn).
const LLAMA3_STYLE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + " +
  "'<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}" +
  "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

describe('renderChat', () => {
  const messages = [{ role: 'user', content: 'What is 2+2?' }];

  it('renders the default template with and without the generation prompt', () => {
    expect(renderChat(DEFAULT_CHAT_TEMPLATE, messages, opts)).toBe(`${BOS}<|user|>\nWhat is 2+2?<|end|>`);
    expect(renderChat(DEFAULT_CHAT_TEMPLATE, messages, { ...opts, addGenerationPrompt: true })).toBe(
      `${BOS}<|user|>\nWhat is 2+2?<|end|><|assistant|>\n`,
    );
    expect(
      renderChat(DEFAULT_CHAT_TEMPLATE, [{ role: 'system', content: 'Be brief.' }, ...messages, { role: 'assistant', content: '4' }], opts),
    ).toBe(`${BOS}<|system|>\nBe brief.<|end|><|user|>\nWhat is 2+2?<|end|><|assistant|>\n4<|end|>`);
  });

  it('passes add_generation_prompt (not the misspelt add_generate_prompt) to other templates', () => {
    expect(renderChat(LLAMA3_STYLE, messages, { ...opts, addGenerationPrompt: true })).toBe(
      `${BOS}<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`,
    );
    expect(renderChat('{{ add_generate_prompt is defined }}', messages, { addGenerationPrompt: true })).toBe('false');
  });

  it('reports unsupported roles, malformed messages and broken templates', () => {
    expect(() => renderChat(DEFAULT_CHAT_TEMPLATE, [{ role: 'tool', content: 'x' }], opts)).toThrow(/Unsupported chat role "tool"/);
    expect(() => renderChat(DEFAULT_CHAT_TEMPLATE, [{ role: 'user' } as never], opts)).toThrow(/Chat message 0 must be/);
    expect(() => renderChat('{% for %}', messages)).toThrow(/does not parse as Jinja/);
  });
});

describe('splitPromptAndResponse', () => {
  it('gives prompt (with generation prompt) + response (with end marker) = the full render', () => {
    const s = splitPromptAndResponse(DEFAULT_CHAT_TEMPLATE, 'Name a colour.', 'Blue.', opts);
    expect(s.prompt).toBe(`${BOS}<|user|>\nName a colour.<|end|><|assistant|>\n`);
    expect(s.response).toBe('Blue.<|end|>');
    expect(s.prompt + s.response).toBe(s.full);
    expect(s.full).toBe(renderChat(DEFAULT_CHAT_TEMPLATE, [{ role: 'user', content: 'Name a colour.' }, { role: 'assistant', content: 'Blue.' }], opts));
  });

  it('keeps prompts that contain "None" whole (the official split cuts there)', () => {
    const prompt = 'Why does f() return None in Python? None of my tests pass.';
    const s = splitPromptAndResponse(DEFAULT_CHAT_TEMPLATE, prompt, 'Because it has no return.', opts);
    expect(s.prompt).toContain(prompt);
    expect(s.prompt.endsWith('<|assistant|>\n')).toBe(true);
  });

  it('puts the assistant header in the prompt for Llama-3-style templates', () => {
    const s = splitPromptAndResponse(LLAMA3_STYLE, [{ role: 'system', content: 'Sys' }, { role: 'user', content: 'Hi' }], ' Hello! ', opts);
    expect(s.prompt.endsWith('<|start_header_id|>assistant<|end_header_id|>\n\n')).toBe(true);
    expect(s.response).toBe('Hello!<|eot_id|>');
    expect(s.prompt + s.response).toBe(s.full);
  });

  it('refuses templates whose generation prompt is not a prefix of the conversation', () => {
    const odd = "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt %}<gen>{% endif %}";
    expect(() => splitPromptAndResponse(odd, 'Q', 'A')).toThrow(/cannot be split/);
    expect(() => promptMessages([{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }])).toThrow(/must not end with an assistant turn/);
  });

  it('tokenizes prompt and response separately into the same ids as the whole conversation', () => {
    const { tokenizerJson, tokenizerConfig } = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 500 }), vocabSize: 400 });
    const tok = createTokenizer(tokenizerJson, tokenizerConfig);
    for (const [p, r] of [
      ['The cat likes the answer?', 'The dog sees a long story today.'],
      ['Hi', ' leading space and trailing  '],
      ['Multi\nline\n\n', '\n\nstarts with newlines 🙂'],
    ] as const) {
      const s = splitPromptAndResponse(DEFAULT_CHAT_TEMPLATE, p, r, opts);
      const enc = (t: string): number[] => tok.encode(t, { addSpecialTokens: false });
      expect([...enc(s.prompt), ...enc(s.response)]).toEqual(enc(s.full));
    }
  });
});
