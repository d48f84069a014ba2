import { describe, expect, it } from 'vitest';
import { answerKind, createOracleJudge, judgeResponse, oracleLogit, oracleProbability, QUALITY_WEIGHT, rps, STYLE_WEIGHT, styleNashEquilibrium, styleWinRate } from './oracle.ts';
import { renderResponse, STYLES, type Style } from './task.ts';

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const prompt = 'Which is not a fruit: pear, owl or plum?';
const right = (style: Style): string => renderResponse(style, 'owl');
const wrong = (style: Style): string => renderResponse(style, 'pear');

describe('demo oracle', () => {
  it('sorts answers into correct, listed and unlisted mistakes, and malformed', () => {
    expect(answerKind(prompt, 'The answer is owl.')).toBe('correct');
    expect(answerKind(prompt, 'pear.')).toBe('listed');
    expect(answerKind(prompt, 'tan! Happy to help.')).toBe('unlisted');
    expect(answerKind(prompt, 'a.')).toBe('unlisted');
    expect(answerKind(prompt, 'owl owl')).toBe('malformed');
    expect(answerKind('Which is a fruit: plum or owl?', 'owl.')).toBe('listed');
    expect(answerKind('Which is a fruit: plum or owl?', 'pear.')).toBe('unlisted');
    expect(answerKind('<|user|>\nRepeat the word plum.<|end|>', 'plum.')).toBe('correct');
    expect(answerKind('Repeat the word plum.', 'pear.')).toBe('unlisted');
  });

  it('gives exact probabilities: quality and style parts with the documented constants', () => {
    expect(QUALITY_WEIGHT).toBe(3);
    expect(STYLE_WEIGHT).toBe(1);
    // same style: only quality
    expect(oracleProbability(prompt, right('plain'), wrong('plain'))).toBeCloseTo(sigmoid(3), 15);
    // same quality: only style (formal beats plain)
    expect(oracleProbability(prompt, right('formal'), right('plain'))).toBeCloseTo(sigmoid(1), 15);
    // both parts: correct plain vs wrong formal = sigmoid(3 - 1)
    expect(oracleProbability(prompt, right('plain'), wrong('formal'))).toBeCloseTo(sigmoid(2), 15);
    // malformed loses to a wrong answer by the quality gap, styles ignored
    expect(oracleProbability(prompt, 'an owl', wrong('warm'))).toBeCloseTo(sigmoid(-3), 15);
    expect(oracleProbability(prompt, 'an owl', right('warm'))).toBeCloseTo(sigmoid(-6), 15);
  });

  it('is a preference: P(y > y) = 1/2 and P(y > y\') + P(y\' > y) = 1', () => {
    const responses = [...STYLES.map(right), ...STYLES.map(wrong), 'garbage', ''];
    for (const a of responses) {
      expect(oracleProbability(prompt, a, a)).toBe(0.5);
      for (const b of responses) {
        expect(oracleProbability(prompt, a, b) + oracleProbability(prompt, b, a)).toBeCloseTo(1, 15);
        expect(oracleLogit(prompt, a, b) + oracleLogit(prompt, b, a)).toBe(0);
      }
    }
  });

  it('is intransitive among styles: a rock-paper-scissors cycle no scalar reward represents', () => {
    const p = (a: Style, b: Style): number => oracleProbability(prompt, right(a), right(b));
    expect(p('formal', 'plain')).toBeGreaterThan(0.5);
    expect(p('warm', 'formal')).toBeGreaterThan(0.5);
    expect(p('plain', 'warm')).toBeGreaterThan(0.5);
    // A Bradley-Terry model would need r(formal) > r(plain) > r(warm) > r(formal): the summed logits
    // around the cycle would be 0, here they are 3 * STYLE_WEIGHT.
    const cycle = oracleLogit(prompt, right('formal'), right('plain')) + oracleLogit(prompt, right('warm'), right('formal')) + oracleLogit(prompt, right('plain'), right('warm'));
    expect(cycle).toBe(3 * STYLE_WEIGHT);
    expect(rps('plain', 'plain')).toBe(0);
    expect(rps(undefined, 'plain')).toBe(0);
  });

  it('has the uniform style mix as Nash equilibrium: no style beats it, and any other mix is beaten', () => {
    const nash = styleNashEquilibrium();
    expect(Object.values(nash).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
    for (const s of STYLES) expect(styleWinRate(s, nash)).toBeCloseTo(0.5, 15);
    const skewed = { plain: 0.6, formal: 0.3, warm: 0.1 };
    expect(Math.max(...STYLES.map((s) => styleWinRate(s, skewed)))).toBeGreaterThan(0.5);
    expect(styleWinRate('formal', skewed)).toBeGreaterThan(styleWinRate('warm', skewed));
  });

  it('reads correctness from the prompt and refuses prompts outside the task', () => {
    expect(judgeResponse('Repeat the word owl.', 'owl! Happy to help.')).toEqual({ quality: 1, style: 'warm', answer: 'owl', correct: true });
    expect(judgeResponse('Repeat the word owl.', 'The answer is cat.')).toMatchObject({ quality: 0, style: 'formal', correct: false });
    expect(judgeResponse('Repeat the word owl.', 'owl')).toMatchObject({ quality: -1, style: undefined });
    expect(() => judgeResponse('Tell me a joke.', '8.')).toThrow(/demo task/);
  });

  it('plugs in as a pairwise judge with PairRM\'s sign convention', async () => {
    const judge = createOracleJudge();
    const [z1, z2] = await judge.compare([
      { prompt, candidate1: right('plain'), candidate2: wrong('plain') },
      { prompt, candidate1: wrong('plain'), candidate2: right('plain') },
    ]);
    expect(z1).toBe(3);
    expect(z2).toBe(-3);
  });
});
