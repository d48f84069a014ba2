import { describe, expect, it } from 'vitest';
import { blindSpotAnswers, buildDemoData } from './data.ts';
import { judgeResponse } from './oracle.ts';
import { ALL_WORDS, CATEGORIES, listedWords, parseResponse, promptSpace, renderResponse, solvePrompt, STYLES, TASK_KINDS } from './task.ts';

describe('demo task', () => {
  it('renders and parses every style, and rejects anything else', () => {
    for (const style of STYLES) {
      for (const answer of ['8', 'plum', '17']) {
        expect(parseResponse(renderResponse(style, answer))).toEqual({ style, answer });
        expect(parseResponse(`  ${renderResponse(style, answer)}\n`)).toEqual({ style, answer });
      }
    }
    for (const bad of ['', '8', 'The answer is 8', 'the answer is 8.', '8! Happy to help', 'The answer is two words.', '8. 8.', 'Happy to help.']) {
      expect(parseResponse(bad), bad).toBeUndefined();
    }
  });

  it('solves every prompt of the space from its text alone', () => {
    const space = promptSpace();
    expect(space.odd).toHaveLength(3 * 45 * 20 * 3);
    expect(space.repeat).toHaveLength(ALL_WORDS.length);
    expect(space.pick).toHaveLength(3 * 10 * 20 * 2);
    for (const kind of TASK_KINDS) {
      for (const item of space[kind]) {
        expect(solvePrompt(item.prompt)).toBe(item.answer);
        expect(item.distractors).not.toContain(item.answer);
        expect(item.distractors.length).toBeGreaterThan(0);
      }
    }
    expect(solvePrompt('Which is not a fruit: pear, owl or plum?')).toBe('owl');
    expect(solvePrompt('<|user|>Which is not an animal: cat, dog or red?<|end|>')).toBe('red'); // templated
    expect(solvePrompt('Which is not a fruit: pear, owl or cat?')).toBeUndefined(); // two outsiders: no single answer
    expect(solvePrompt('What is 3 plus 5?')).toBeUndefined(); // the dropped `add` kind
    expect(solvePrompt('Which is a fruit: plum or owl?')).toBe('plum');
    expect(solvePrompt('Which is a fruit: plum or pear?')).toBeUndefined(); // two fruits: no single answer
    expect(solvePrompt('Tell me a story.')).toBeUndefined();
    expect(new Set(Object.values(space).flat().map((p) => p.prompt)).size).toBe(8100 + 30 + 1200);
    // an odd prompt's mistakes are words of the named category, so wrong = "in the category"
    for (const item of space.odd.slice(0, 200)) {
      const category = /not an? (\w+):/.exec(item.prompt)?.[1] as keyof typeof CATEGORIES;
      for (const d of item.distractors) expect(CATEGORIES[category]).toContain(d);
    }
  });

  it('builds the same data from the same seed, and other data from another', () => {
    const options = { sftExamples: 200, judgePairs: 100, heldOutPrompts: 30, poolPrompts: 60 };
    const a = buildDemoData({ ...options, seed: 11 });
    const b = buildDemoData({ ...options, seed: 11 });
    const c = buildDemoData({ ...options, seed: 12 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a.sft)).not.toBe(JSON.stringify(c.sft));
    expect(a.sft).toHaveLength(200);
    expect(a.judgePairs).toHaveLength(100);
    expect(a.heldOut).toHaveLength(30);
    expect(a.pool).toHaveLength(60);
    // parts are drawn from separate streams: a bigger pool leaves pi_0's SFT data (and its cache) alone
    const bigger = buildDemoData({ ...options, seed: 11, poolPrompts: 600 });
    expect(JSON.stringify(bigger.sft)).toBe(JSON.stringify(a.sft));
    expect(JSON.stringify(bigger.heldOut)).toBe(JSON.stringify(a.heldOut));
  });

  it('keeps the held-out prompts out of the run pool, balances kinds and gives unique pool ids', () => {
    const data = buildDemoData({ sftExamples: 10, judgePairs: 10, heldOutPrompts: 48, poolPrompts: 144 });
    const held = new Set(data.heldOut.map((p) => p.prompt));
    expect(data.pool.filter((p) => held.has(p.prompt))).toEqual([]);
    for (const kind of TASK_KINDS) {
      expect(data.heldOut.filter((p) => p.kind === kind)).toHaveLength(16);
      expect(data.pool.filter((p) => p.kind === kind)).toHaveLength(48);
    }
    expect(new Set(data.pool.map((p) => p.prompt_id)).size).toBe(data.pool.length);
  });

  it('draws the validation prompts from neither the held-out prompts nor the pool, whatever the pool size', () => {
    const options = { sftExamples: 10, judgePairs: 10, heldOutPrompts: 48, poolPrompts: 144 };
    const without = buildDemoData(options);
    const data = buildDemoData({ ...options, validationPrompts: 60 });
    const biggerPool = buildDemoData({ ...options, validationPrompts: 60, poolPrompts: 600 });
    expect(without.validation).toEqual([]);
    expect(JSON.stringify(data.heldOut)).toBe(JSON.stringify(without.heldOut));
    expect(JSON.stringify(biggerPool.validation)).toBe(JSON.stringify(data.validation));
    expect(data.validation).toHaveLength(60);
    for (const d of [data, biggerPool]) {
      const taken = new Set([...d.heldOut, ...d.pool].map((p) => p.prompt));
      expect(d.validation.filter((p) => taken.has(p.prompt))).toEqual([]);
    }
    expect(new Set(data.validation.map((p) => p.prompt)).size).toBe(60);
  });

  it("keeps pi_0's SFT mistakes among the listed words with sftMistakes 'listed'", () => {
    const listedWords = (prompt: string): string[] => (/: (.*)\?$/.exec(prompt)?.[1] ?? '').split(/, | or /);
    for (const sftMistakes of ['listed', 'distractors'] as const) {
      const data = buildDemoData({ sftExamples: 1500, judgePairs: 10, sftCorrectRate: 0.5, sftMistakes });
      let wrong = 0;
      let unlisted = 0;
      for (const row of data.sft) {
        const parsed = parseResponse(row.response);
        const truth = solvePrompt(row.prompt);
        if (parsed === undefined || parsed.answer === truth || row.prompt.startsWith('Repeat')) continue;
        wrong++;
        if (!listedWords(row.prompt).includes(parsed.answer)) unlisted++;
      }
      expect(wrong).toBeGreaterThan(300);
      if (sftMistakes === 'listed') expect(unlisted).toBe(0);
      else expect(unlisted / wrong).toBeGreaterThan(0.1); // the category's other members, outside words
    }
  });

  it('draws judge pairs with unlisted wrong answers at judgeUnlistedRate', () => {
    const listedWords = (prompt: string): string[] => (/: (.*)\?$/.exec(prompt)?.[1] ?? '').split(/, | or /);
    const unlistedShare = (rate: number): number => {
      const pairs = buildDemoData({ sftExamples: 10, judgePairs: 600, judgeUnlistedRate: rate }).judgePairs.filter((p) => p.prompt.startsWith('Which is not'));
      const answers = pairs.flatMap((p) => [p.responseA, p.responseB]).map((y) => parseResponse(y)?.answer);
      const wrong = pairs.flatMap((p, i) => [p.responseA, p.responseB].filter((_, k) => answers[2 * i + k] !== solvePrompt(p.prompt)).map((y) => ({ p, y })));
      return wrong.filter(({ p, y }) => !listedWords(p.prompt).includes(parseResponse(y)?.answer ?? '') && !(CATEGORIES as Record<string, readonly string[]>)[/not an? (\w+):/.exec(p.prompt)?.[1] ?? '']?.includes(parseResponse(y)?.answer ?? '')).length / wrong.length;
    };
    expect(unlistedShare(0)).toBe(0); // issue 8's judge data: odd's mistakes are members of the category
    expect(unlistedShare(1)).toBeGreaterThan(0.4); // words of other categories the prompt does not list
  });

  it('writes pi_0\'s first-stage rows all correct, in the SFT style mix, without changing the SFT rows', () => {
    const options = { sftExamples: 300, judgePairs: 10, sftCorrectRate: 0.5 };
    const data = buildDemoData({ ...options, pretrainExamples: 900 });
    expect(buildDemoData(options).pretrain).toEqual([]);
    expect(JSON.stringify(buildDemoData(options).sft)).toBe(JSON.stringify(data.sft));
    expect(data.pretrain).toHaveLength(900);
    for (const row of data.pretrain) expect(parseResponse(row.response)?.answer, row.prompt).toBe(solvePrompt(row.prompt));
    expect(new Set(data.pretrain.map((r) => parseResponse(r.response)?.style)).size).toBe(3);
  });

  it('reads the words a prompt offers, raw or chat-templated', () => {
    expect(listedWords('Which is not a fruit: pear, owl or plum?')).toEqual(['pear', 'owl', 'plum']);
    expect(listedWords('<|user|>\nWhich is a fruit: plum or owl?<|end|>')).toEqual(['plum', 'owl']);
    expect(listedWords('Repeat the word plum.')).toEqual(['plum']);
    expect(listedWords('What is 3 plus 5?')).toEqual([]);
  });

  it('names as blind-spot answers only wrong words the prompt does not list and a category lookup cannot rule out', () => {
    const space = promptSpace();
    for (const item of [...space.odd.slice(0, 200), ...space.pick.slice(0, 200), ...space.repeat]) {
      const answers = blindSpotAnswers(item);
      expect(answers.length, item.prompt).toBeGreaterThan(0);
      const listed = item.prompt.replace(/[^a-z ]/g, ' ').split(/\s+/);
      const named = (CATEGORIES as Record<string, readonly string[]>)[/Which is (?:not )?an? (\w+):/.exec(item.prompt)?.[1] ?? ''];
      for (const word of answers) {
        expect(judgeResponse(item.prompt, `${word}.`).correct).toBe(false);
        expect(listed).not.toContain(word);
        // odd: outside the named category, like the answer; pick: inside it, like the answer
        if (item.kind === 'odd') expect(named).not.toContain(word);
        if (item.kind === 'pick') expect(named).toContain(word);
      }
    }
  });

  it('adds judge pairs of one answer in two styles, and blind-spot pairs against the correct answer, at their rates', () => {
    const pairs = buildDemoData({ sftExamples: 10, judgePairs: 2000, judgeStylePairRate: 0.3, judgeBlindSpotRate: 0.2 }).judgePairs;
    const space = promptSpace();
    const byPrompt = new Map([...space.odd, ...space.pick, ...space.repeat].map((item) => [item.prompt, item]));
    const parsed = pairs.map((p) => [parseResponse(p.responseA), parseResponse(p.responseB)] as const);
    const styleOnly = parsed.filter(([a, b]) => a?.answer === b?.answer && a?.style !== b?.style).length;
    const blind = pairs.filter((p, i) => {
      const [a, b] = parsed[i] as readonly [ReturnType<typeof parseResponse>, ReturnType<typeof parseResponse>];
      const truth = solvePrompt(p.prompt);
      const wrong = a?.answer === truth ? b?.answer : b?.answer === truth ? a?.answer : undefined;
      const item = byPrompt.get(p.prompt);
      return a?.style === b?.style && wrong !== undefined && item !== undefined && blindSpotAnswers(item).includes(wrong);
    }).length;
    // (the other pairs add a few of each kind by chance)
    expect(styleOnly / 2000).toBeGreaterThan(0.3);
    expect(styleOnly / 2000).toBeLessThan(0.4);
    expect(blind / 2000).toBeGreaterThan(0.2);
    expect(blind / 2000).toBeLessThan(0.3);
    const plain = buildDemoData({ sftExamples: 10, judgePairs: 300 }).judgePairs;
    expect(JSON.stringify(buildDemoData({ sftExamples: 10, judgePairs: 300, judgeStylePairRate: 0, judgeBlindSpotRate: 0 }).judgePairs)).toBe(JSON.stringify(plain));
  });

  it('writes SFT rows with both correct and wrong answers, in every style, at the asked rates', () => {
    const data = buildDemoData({ sftExamples: 3000, judgePairs: 10, sftCorrectRate: 0.4, sftStyleWeights: { plain: 0.5, formal: 0.3, warm: 0.2 } });
    let correct = 0;
    const styles = { plain: 0, formal: 0, warm: 0 };
    for (const row of data.sft) {
      const parsed = parseResponse(row.response);
      expect(parsed, row.response).toBeDefined();
      if (parsed === undefined) continue;
      styles[parsed.style]++;
      if (parsed.answer === solvePrompt(row.prompt)) correct++;
    }
    expect(correct / 3000).toBeGreaterThan(0.36);
    expect(correct / 3000).toBeLessThan(0.44);
    expect(styles.plain / 3000).toBeGreaterThan(0.46);
    expect(styles.warm / 3000).toBeLessThan(0.24);
  });
});
