import { describe, expect, it } from 'vitest';
import { findStop } from './stop.ts';
import { resolveSamplingParams } from './params.ts';

// One character per token keeps the arithmetic visible.
const alphabet = 'abcdefghijklmnopqrstuvwxyz .\n';
const decode = (ids: readonly number[]): string => ids.map((i) => alphabet[i]).join('');
const encode = (s: string): number[] => [...s].map((c) => alphabet.indexOf(c));

describe('findStop', () => {
  it('returns the text before the first stop string once one appears', () => {
    expect(findStop(encode('hello wor'), ['world'], decode)).toBeUndefined();
    expect(findStop(encode('hello world'), ['world'], decode)).toBe('hello ');
    expect(findStop(encode('a.b\n'), ['\n', '.'], decode)).toBe('a');
  });

  it('finds a stop string that ends in the newest token of a long text (windowed decode)', () => {
    const long = `${'x'.repeat(500)} the end`;
    expect(findStop(encode(long), ['end'], decode)).toBe(`${'x'.repeat(500)} the `);
  });
});

describe('resolveSamplingParams', () => {
  it('fills defaults', () => {
    expect(resolveSamplingParams({ temperature: 0 })).toMatchObject({ temperature: 0, topP: 1, topK: 0, stop: [], ignoreEos: false });
  });

  it('lists every invalid parameter with its valid range', () => {
    let error: unknown;
    try {
      resolveSamplingParams({ temperature: -1, topP: 0, topK: 1.5, maxNewTokens: 0, stop: [''] });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'invalid_params', param: 'temperature', userError: true });
    const message = (error as Error).message;
    for (const needle of ['temperature must be', 'top_p must be in (0, 1]', 'top_k must be an integer >= 0', 'max_new_tokens must be', 'stop must be']) {
      expect(message).toContain(needle);
    }
  });
});
