// Inputs found by the gateway fuzz (tests/fuzz): each must be a ConfigError (a 4xx for a host) with
// a bounded message, never a crash or an answer a hundred times the size of the input.
import { describe, expect, it } from 'vitest';
import { capIssues, ConfigError, MAX_REPORTED_ISSUES } from '../errors.ts';
import { jsonDepth, MAX_CONFIG_DEPTH, parseRunConfig, parseTrainingArgs } from './parse.ts';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function nested(depth: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('deep nesting', () => {
  it('jsonDepth counts containers without recursion and stops past the limit', () => {
    expect(jsonDepth('x')).toBe(0);
    expect(jsonDepth([])).toBe(1);
    expect(jsonDepth({ a: [1, { b: 2 }] })).toBe(3);
    expect(jsonDepth(nested(100_000))).toBe(100_000);
    expect(jsonDepth(nested(100_000), 10)).toBe(11);
  });

  it('a prompts value nested 5000 deep is a ConfigError naming the limit, not a stack overflow', () => {
    for (const parse of [() => parseRunConfig({ prompts: nested(5000) }), () => parseTrainingArgs({ optim: nested(5000) })]) {
      const error = configError(parse);
      expect(error.issues).toEqual([expect.objectContaining({ path: '' })]);
      expect(error.message).toContain(`more than ${MAX_CONFIG_DEPTH} levels`);
    }
  });

  it('nesting within the limit is validated as usual', () => {
    const error = configError(() => parseRunConfig({ prompts: nested(MAX_CONFIG_DEPTH - 2) }));
    expect(error.issues[0]?.path).toMatch(/^prompts/);
    expect(error.message).not.toContain('levels');
  });
});

describe('openai_base_url', () => {
  it('accepts http and https URLs only', () => {
    for (const url of ['http://127.0.0.1:8000/v1', 'https://llm.example.com/v1']) {
      expect(parseRunConfig({ generation_backend: 'openai', openai_base_url: url, openai_model: 'm' }).openai_base_url).toBe(url);
    }
    for (const url of ['file:///etc/passwd', 'ftp://example.com/v1', 'data:text/plain,hi', 'javascript:alert(1)', 'gopher://x']) {
      const error = configError(() => parseRunConfig({ generation_backend: 'openai', openai_base_url: url, openai_model: 'm' }));
      expect(error.issues).toEqual([expect.objectContaining({ path: 'openai_base_url', message: expect.stringMatching(/http:\/\/ or https:\/\//) })]);
    }
  });
});

describe('many problems', () => {
  it('500 unknown keys: valid keys listed once, at most MAX_REPORTED_ISSUES in the message', () => {
    const body = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`unknown_${i}`, i]));
    const error = configError(() => parseRunConfig(body));
    // Every problem is kept for programs; each unknown key has its own path.
    expect(error.issues).toHaveLength(500);
    expect(error.issues.filter((issue) => issue.validValues !== undefined)).toHaveLength(1);
    expect(error.issues[1]?.message).toMatch(/listed under "unknown_0"/);
    expect(error.message).toMatch(/^Invalid run config: 500 problems/);
    expect(error.message).toContain(`and ${500 - MAX_REPORTED_ISSUES} more problems`);
    expect(error.message.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(MAX_REPORTED_ISSUES + 1);
    expect(error.message.length).toBeLessThan(8 * 1024);
  });

  it('each object lists its own valid keys once', () => {
    const error = configError(() => parseRunConfig({ a: 1, b: 2, prompts: { key: 'p.jsonl', c: 3, d: 4 } }));
    const listing = error.issues.filter((issue) => issue.validValues !== undefined).map((issue) => issue.path);
    expect(listing.sort()).toEqual(['a', 'prompts.c']);
  });

  it('capIssues keeps short lists and summarises long ones', () => {
    const issues = Array.from({ length: 3 }, (_, i) => ({ path: `f${i}`, message: 'bad' }));
    expect(capIssues(issues)).toEqual(issues);
    expect(capIssues(issues, 2)).toEqual([issues[0], issues[1], { path: '', message: expect.stringMatching(/^and 1 more problem not listed/) }]);
  });
});
