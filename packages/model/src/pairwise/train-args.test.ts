import { describe, expect, it } from 'vitest';
import { parseJudgeTrainArgs } from './train-args.ts';
import { trainMiniPairRM } from './train.ts';

describe('judge-train options', () => {
  it('takes add_prefix_space 0 or 1 and names the valid values otherwise', () => {
    expect(parseJudgeTrainArgs({}).add_prefix_space).toBe(0);
    expect(parseJudgeTrainArgs({ add_prefix_space: '1' }).add_prefix_space).toBe(1);
    expect(() => parseJudgeTrainArgs({ add_prefix_space: 2 })).toThrow(/add_prefix_space 2: use 0 \(off\) or 1 \(on\)/);
    expect(() => parseJudgeTrainArgs({ add_prefix_space: 0.5 })).toThrow(/add_prefix_space "?0.5"?: use a non-negative integer/);
  });

  it('with add_prefix_space 1, trains a judge whose tokenizer gives a candidate\'s first word its id in the prompt', async () => {
    const pairs = Array.from({ length: 8 }, (_, i) => ({ prompt: 'Which is not a fruit: pear, owl or plum?', responseA: 'owl.', responseB: i % 2 ? 'pear.' : 'The answer is pear.', probability: 0.95 }));
    const args = parseJudgeTrainArgs({ add_prefix_space: 1, max_steps: 1, eval_ratio: 0, vocab_size: 300, per_device_train_batch_size: 4 });
    const judge = await trainMiniPairRM({ pairs, args, thread: 'main' });
    expect(judge.tokenizer.tokenizerJson.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: true });
    const first = judge.tokenizer.encode('<|candidate|>owl.', { addSpecialTokens: false })[1];
    expect(judge.tokenizer.encode('<|source|>pear, owl or plum?', { addSpecialTokens: false })).toContain(first);
  });
});
