// The judge handler against the real emulator (packages/cloud startTestCloud): called directly with
// synthetic messages (rule judges: exact results), duplicate delivery, bad lines, K < 2, and end to
// end through the worker with a mini-PairRM checkpoint stored under an S3 prefix.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createObjectStore, createQueue, silentLogger, startTestCloud, type HandlerContext, type ObjectStore, type Queue, type ReceivedMessage, type TestCloud } from '@sppo/cloud';
import { buildTriplets, failureKey, failureRecordSchema, parseEvent, parseJsonl, runStatusKey, tripletRowSchema, tripletShardKey, type JudgeTask } from '@sppo/core';
import {
  compareAllPairs,
  createLengthJudge,
  createTokenizer,
  initPairwiseWeights,
  JUDGE_SPECIAL_TOKENS,
  loadPairwiseJudge,
  miniPairRMConfig,
  resolvePairRMTokens,
  trainBpeTokenizer,
  writePairwiseCheckpoint,
} from '@sppo/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPermanent } from './errors.ts';
import { createJudgeHandler, judgeMetricsKey, type JudgeShardMetrics } from './handler.ts';
import { createJudgeResolver, type JudgeResolver } from './judges.ts';
import { generationRow, jsonl, seedRound } from './test-fixtures.ts';
import { startJudgeWorker } from './worker.ts';

let cloud: TestCloud;
let store: ObjectStore;
let events: Queue;
let dlq: Queue;
let cacheDir: string;
let judges: JudgeResolver;

beforeAll(async () => {
  cloud = await startTestCloud();
  store = createObjectStore(cloud.config);
  events = createQueue(cloud.config, 'events');
  dlq = createQueue(cloud.config, 'judge', { deadLetter: true });
  cacheDir = await mkdtemp(join(tmpdir(), 'sppo-judge-test-'));
  judges = createJudgeResolver({ store, cacheDir });
});
afterAll(async () => {
  await judges?.close();
  await cloud?.stop();
  await rm(cacheDir, { recursive: true, force: true });
});

function context(task: JudgeTask): HandlerContext {
  const message: ReceivedMessage = { messageId: `m-${task.run_id}-${task.shard}`, receiptHandle: 'r', body: JSON.stringify(task), receiveCount: 1, attributes: {} };
  return { message, receiveCount: 1, logger: silentLogger };
}

async function drain(queue: Queue): Promise<unknown[]> {
  const all: unknown[] = [];
  for (;;) {
    const batch = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    if (batch.length === 0) return all;
    for (const m of batch) await queue.ack(m);
    all.push(...batch.map((m) => JSON.parse(m.body) as unknown));
  }
}

const rows = [
  generationRow('p0', 'Say hi.', ['hi', 'hello there', 'hey', 'greetings to you, friend']),
  generationRow('p1', 'Name a colour.', ['red', 'a deep ocean blue']),
  generationRow('p2', 'Count.', ['one two three', 'one', 'one two']),
];

describe('judge handler (direct calls, rule judges)', () => {
  it('writes the triplet shard and judge metrics, then publishes shard.judged', async () => {
    const run = 'judge-basic';
    await seedRound(store, run, { judge_model: 'rule:length' }, [jsonl(rows)]);
    await drain(events);
    const handler = createJudgeHandler({ store, events, judges });
    const task: JudgeTask = { type: 'judge', run_id: run, round: 0, shard: 0 };
    expect(await handler.judge(task, context(task))).toBe('judged');

    const triplets = parseJsonl(await store.getText(tripletShardKey(run, 0, 0)), tripletRowSchema);
    const C = await compareAllPairs(createLengthJudge(), rows.map((r) => ({ prompt: r.prompt_text, responses: r.responses })));
    expect(triplets).toEqual(rows.flatMap((r, i) => buildTriplets({ promptId: r.prompt_id, prompt: r.prompt, responses: r.responses, C: C[i]! })));
    // Longest wins, shortest loses.
    expect(triplets.map((t) => ('chosen' in t ? (t.chosen as { content: string }[])[1]!.content : ''))).toEqual(['greetings to you, friend', 'a deep ocean blue', 'one two three']);

    const metrics = JSON.parse(await store.getText(judgeMetricsKey(run, 0, 0))) as JudgeShardMetrics;
    expect(metrics).toMatchObject({ run_id: run, round: 0, shard: 0, judge_model: 'rule:length', score_aggregation: 'official', selection: 'extremes', bad_lines: [] });
    expect(metrics.judge['judge/prompts']).toBe(3);
    expect(metrics.judge['judge/comparisons']).toBe(4 * 3 + 2 * 1 + 3 * 2);
    expect((await drain(events)).map((e) => parseEvent(e))).toEqual([{ type: 'shard.judged', run_id: run, round: 0, shard: 0 }]);
  });

  it('honours the run config: direct aggregation, exclude_self, selection all (rule:rps)', async () => {
    const run = 'judge-rps';
    const responses = ['rock it is', 'paper wins', 'scissors!'];
    await seedRound(store, run, { judge_model: 'rule:rps', score_aggregation: 'direct', win_rate_estimator: 'exclude_self', selection: 'all' }, [jsonl([generationRow('p0', 'play', responses)])]);
    const handler = createJudgeHandler({ store, events, judges });
    const task: JudgeTask = { type: 'judge', run_id: run, round: 0, shard: 0 };
    await handler.judge(task, context(task));
    const triplets = parseJsonl(await store.getText(tripletShardKey(run, 0, 0)), tripletRowSchema);
    expect(triplets).toHaveLength(3);
    const sig4 = 1 / (1 + Math.exp(-4));
    for (const t of triplets) expect('win_rate' in t && t.win_rate).toBeCloseTo(0.5, 12);
    expect(triplets[0]!.probability[1]![0]).toBeCloseTo(sig4, 12); // paper > rock survives (direct)
    await drain(events);
  });

  it('duplicate delivery: republishes the event and leaves byte-identical outputs; a recompute gives the same bytes', async () => {
    const run = 'judge-dup';
    await seedRound(store, run, { judge_model: 'rule:length' }, [jsonl(rows)]);
    const handler = createJudgeHandler({ store, events, judges });
    const task: JudgeTask = { type: 'judge', run_id: run, round: 0, shard: 0 };
    await drain(events);
    expect(await handler.judge(task, context(task))).toBe('judged');
    const first = [await store.getBytes(tripletShardKey(run, 0, 0)), await store.getBytes(judgeMetricsKey(run, 0, 0))];
    expect(await handler.judge(task, context(task))).toBe('already-done');
    expect(await drain(events)).toHaveLength(2);
    // Lose one output (as if the process died between the two PUTs): the rerun recomputes both.
    await store.delete(judgeMetricsKey(run, 0, 0));
    expect(await handler.judge(task, context(task))).toBe('judged');
    expect(await store.getBytes(tripletShardKey(run, 0, 0))).toEqual(first[0]);
    expect(await store.getBytes(judgeMetricsKey(run, 0, 0))).toEqual(first[1]);
    await drain(events);
  });

  it('bad lines: rows for the good prompts, and every bad line counted with its number', async () => {
    const run = 'judge-bad-lines';
    const text = [JSON.stringify(rows[0]), 'not json {', JSON.stringify({ ...rows[1], seeds: [1] }), '', JSON.stringify(rows[2]), JSON.stringify({ prompt: 'x' })].join('\n');
    await seedRound(store, run, { judge_model: 'rule:length' }, [text]);
    const handler = createJudgeHandler({ store, events, judges });
    const task: JudgeTask = { type: 'judge', run_id: run, round: 0, shard: 0 };
    expect(await handler.judge(task, context(task))).toBe('judged');
    const triplets = parseJsonl(await store.getText(tripletShardKey(run, 0, 0)), tripletRowSchema);
    expect(triplets.map((t) => t.prompt_id)).toEqual(['p0', 'p2']);
    const metrics = JSON.parse(await store.getText(judgeMetricsKey(run, 0, 0))) as JudgeShardMetrics;
    expect(metrics.judge['judge/bad_lines']).toBe(3);
    expect(metrics.judge['judge/prompts']).toBe(2);
    expect(metrics.bad_lines.map((b) => b.line)).toEqual([2, 3, 6]);
    expect(metrics.bad_lines[0]!.message).toMatch(/not JSON/);
    expect(metrics.bad_lines[1]!.message).toMatch(/seeds/);
    await drain(events);
  });

  it('K < 2 is a permanent failure: through the worker, failure record, unit.failed, message dead-lettered at once', async () => {
    const run = 'judge-k1';
    await seedRound(store, run, { judge_model: 'rule:length' }, [jsonl([rows[0], { ...generationRow('p9', 'solo', ['only one', 'x']), responses: ['only one'] }])]);
    await drain(events);
    await drain(dlq);
    const task: JudgeTask = { type: 'judge', run_id: run, round: 0, shard: 0 };
    await createQueue(cloud.config, 'judge').send(task);
    // Short polls: the emulator finishes a long poll aborted by stop() and would hide the next test's messages.
    const worker = startJudgeWorker({ cloud: cloud.config, cacheDir: join(cacheDir, 'worker-k1'), waitTimeSeconds: 0, handleSignals: false, logger: silentLogger });
    const deadline = Date.now() + 30_000;
    while (worker.stats().deadLettered < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await worker.stop();
    expect(worker.stats()).toMatchObject({ received: 1, deadLettered: 1, failed: 0 });
    const record = failureRecordSchema.parse(JSON.parse(await store.getText(failureKey(run, 'judge', 0, 0))));
    expect(record.reason).toMatch(/line 2 .*K >= 2/);
    const sent = (await drain(events)).map((e) => parseEvent(e));
    expect(sent).toEqual([expect.objectContaining({ type: 'unit.failed', stage: 'judge', shard: 0 })]);
    expect(await drain(dlq)).toEqual([task]);
    expect(await store.exists(tripletShardKey(run, 0, 0))).toBe(false);
  });

  it('a missing shard or manifest fails permanently with the key in the reason; a cancelled run is skipped', async () => {
    const handler = createJudgeHandler({ store, events, judges });
    const permanentReason = async (task: JudgeTask): Promise<string> => {
      const error = await handler.judge(task, context(task)).catch((e: unknown) => e);
      expect(isPermanent(error)).toBe(true);
      return (error as Error).message;
    };
    const noManifest: JudgeTask = { type: 'judge', run_id: 'judge-none', round: 0, shard: 0 };
    expect(await permanentReason(noManifest)).toMatch(/no manifest/);
    await seedRound(store, 'judge-noshard', { judge_model: 'rule:length' }, [jsonl(rows)]);
    const noShard: JudgeTask = { type: 'judge', run_id: 'judge-noshard', round: 0, shard: 0 };
    await store.delete('runs/judge-noshard/round=0/generations/shard=0.jsonl');
    expect(await permanentReason(noShard)).toMatch(/generations\/shard=0\.jsonl does not exist/);
    // A shard none of whose rows is usable fails for good, naming the rows (it used to write an empty triplet shard).
    await seedRound(store, 'judge-allbad', { judge_model: 'rule:length' }, [jsonl([{ prompt: 'x' }, { responses: ['a', 'b'] }])]);
    const allBad: JudgeTask = { type: 'judge', run_id: 'judge-allbad', round: 0, shard: 0 };
    expect(await permanentReason(allBad)).toMatch(/none of its 2 row\(s\) is usable[\s\S]*line 1: no responses[\s\S]*line 2: prompt/);
    expect(await store.exists(tripletShardKey('judge-allbad', 0, 0))).toBe(false);
    await seedRound(store, 'judge-cancel', { judge_model: 'rule:length' }, [jsonl(rows)]);
    await store.putJson(runStatusKey('judge-cancel'), { run_id: 'judge-cancel', status: 'cancelled', updated_at: '2026-01-01T00:00:00.000Z' });
    const cancelled: JudgeTask = { type: 'judge', run_id: 'judge-cancel', round: 0, shard: 0 };
    expect(await handler.judge(cancelled, context(cancelled))).toBe('skipped-cancelled');
    expect(await store.exists(tripletShardKey('judge-cancel', 0, 0))).toBe(false);
    await drain(events);
  });
});

describe('judge worker end to end (emulator queues, mini-PairRM from an S3 prefix)', () => {
  it('judges every shard sent to the judge queue with the ONNX judge and publishes shard.judged', async () => {
    // A tiny random mini-PairRM, uploaded like a trained judge folder.
    const corpus = rows.flatMap((r) => [r.prompt, ...r.responses]);
    const t = trainBpeTokenizer({ corpus, vocabSize: 300, extraSpecialTokens: JUDGE_SPECIAL_TOKENS });
    const tokenizer = createTokenizer(t.tokenizerJson, t.tokenizerConfig);
    const config = miniPairRMConfig({ vocabSize: tokenizer.vocabSize, tokenIds: resolvePairRMTokens(tokenizer).ids, hiddenSize: 16, intermediateSize: 32, numAttentionHeads: 2, maxSourceTokens: 32, maxCandidateTokens: 24, initializerRange: 0.3 });
    const local = join(cacheDir, 'mini-judge');
    await writePairwiseCheckpoint(local, { config, weights: initPairwiseWeights(config, { seed: 3 }), tokenizer });
    await store.uploadFolder(local, 'models/mini-judge/', { lastFile: '_COMPLETE' });

    const run = 'judge-e2e';
    await seedRound(store, run, { judge_model: 'models/mini-judge', judge_max_source_tokens: 32, judge_max_candidate_tokens: 24 }, [jsonl(rows.slice(0, 2)), jsonl(rows.slice(2))]);
    await drain(events);
    const queue = createQueue(cloud.config, 'judge');
    for (const shard of [0, 1]) await queue.send({ type: 'judge', run_id: run, round: 0, shard });
    const worker = startJudgeWorker({ cloud: cloud.config, cacheDir: join(cacheDir, 'worker'), waitTimeSeconds: 1, handleSignals: false, logger: silentLogger });
    const seen: unknown[] = [];
    const deadline = Date.now() + 60_000;
    while (seen.length < 2 && Date.now() < deadline) seen.push(...(await drain(events)));
    await worker.stop();
    await worker.done;
    expect(seen.map((e) => parseEvent(e)).sort((a, b) => ('shard' in a && 'shard' in b ? (a.shard ?? 0) - (b.shard ?? 0) : 0))).toEqual([
      { type: 'shard.judged', run_id: run, round: 0, shard: 0 },
      { type: 'shard.judged', run_id: run, round: 0, shard: 1 },
    ]);
    expect(worker.stats()).toMatchObject({ acked: 2, failed: 0 });

    // The service's logits are the judge folder's logits.
    const judge = await loadPairwiseJudge(local, { maxSourceTokens: 32, maxCandidateTokens: 24, thread: 'main' });
    const C = await compareAllPairs(judge, rows.slice(2).map((r) => ({ prompt: r.prompt_text, responses: r.responses })));
    await judge.close?.();
    const [row] = parseJsonl(await store.getText(tripletShardKey(run, 0, 1)), tripletRowSchema);
    const expected = buildTriplets({ promptId: 'p2', prompt: rows[2]!.prompt, responses: rows[2]!.responses, C: C[0]! })[0]!;
    row!.rm_scores.forEach((s, i) => expect(s).toBeCloseTo(expected.rm_scores[i]!, 5));
  });
});
