import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGraph } from '@sppo/autodiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDecoder } from './decoder.ts';
import type { KvCache } from './kv-cache.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sppo-decoder-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A toy decoder-with-past graph: logits = the input id in every vocab slot; present = past + new. */
async function toyDecoder(name: string, newPositions: 1 | 2): Promise<string> {
  const g = createGraph({ name });
  const ids = g.input('input_ids', ['batch_size', 'sequence_length'], 'int64');
  g.input('attention_mask', ['batch_size', 'total_sequence_length'], 'int64');
  const shape = ['batch_size', 1, 'past_sequence_length', 2];
  const key = g.input('past_key_values.0.key', shape);
  const value = g.input('past_key_values.0.value', shape);
  const idsF = g.cast(ids, 'float32');
  g.output('logits', g.mul(g.unsqueeze(idsF, [2]), g.constant([1, 1, 1], [3])));
  // The new position's key/value: the input id in both channels.
  const fresh = g.mul(g.unsqueeze(g.unsqueeze(idsF, [1]), [3]), g.constant([1, 1], [2])); // [B, 1, S, 2]
  // newPositions 2 stands for an export whose present is not past + new (the preallocated output
  // shape): ORT refuses the preallocated buffers.
  g.output('present.0.key', g.concat(newPositions === 1 ? [key, fresh] : [key, fresh, fresh], 2));
  g.output('present.0.value', g.concat(newPositions === 1 ? [value, fresh] : [value, fresh, fresh], 2));
  const path = join(dir, `${name}.onnx`);
  await writeFile(path, g.toModel());
  return path;
}

async function decodeThree(path: string): Promise<{ lengths: number[]; keys: number[][]; logits: number[][] }> {
  const decoder = await openDecoder(path, { intraOpNumThreads: 1 });
  let past: KvCache = { layers: [{ key: new Float32Array(0), value: new Float32Array(0) }], batch: 2, heads: 1, length: 0, headDim: 2 };
  const lengths: number[] = [];
  const keys: number[][] = [];
  const logits: number[][] = [];
  for (const [step, token] of [5, 6, 7].entries()) {
    const out = await decoder.step({
      batch: 2,
      seqLen: 1,
      inputIds: BigInt64Array.of(BigInt(token), BigInt(token + 10)),
      attentionMask: new BigInt64Array(2 * (past.length + 1)).fill(1n),
      positionIds: BigInt64Array.of(BigInt(step), BigInt(step)),
      past,
    });
    logits.push([...out.lastLogits]);
    past = out.present;
    lengths.push(past.length);
    keys.push([...(past.layers[0]?.key ?? [])]);
  }
  await decoder.close();
  return { lengths, keys, logits };
}

describe('openDecoder step outputs', () => {
  it('feeds each present back as the next past through its reused output buffers', async () => {
    const { lengths, keys, logits } = await decodeThree(await toyDecoder('concat', 1));
    expect(lengths).toEqual([1, 2, 3]);
    expect(logits).toEqual([[5, 5, 5, 15, 15, 15], [6, 6, 6, 16, 16, 16], [7, 7, 7, 17, 17, 17]]);
    // Row 0 then row 1, each [position, channel]: the cache grows by one position per step.
    expect(keys[2]).toEqual([5, 5, 6, 6, 7, 7, 15, 15, 16, 16, 17, 17]);
  });

  it('falls back to ORT-allocated outputs for an export whose present is not past + new', async () => {
    const { lengths, keys, logits } = await decodeThree(await toyDecoder('grows-by-two', 2));
    expect(lengths).toEqual([2, 4, 6]);
    expect(keys[2]?.slice(0, 12)).toEqual([5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7]);
    expect(logits[2]).toEqual([7, 7, 7, 17, 17, 17]);
  });
});
