import { describe, expect, it } from 'vitest';
import { deserializeOptimizerState, initOptimizerState, serializeOptimizerState } from './state.ts';

describe('optimizer state', () => {
  it('initialises zeros for every state input', () => {
    const s = initOptimizerState({ floatType: 'float32', state: [{ name: 'optim/exp_avg/w', shape: [2, 3] }], optimizer: { type: 'adamw' } });
    expect(s.step).toBe(0);
    expect(s.tensors['optim/exp_avg/w']).toEqual(new Float32Array(6));
    expect(s.meta?.optimizer).toBe('{"type":"adamw"}');
  });
  it('round-trips through the safetensors layout, float32 and float64, with step and metadata', () => {
    const state = {
      step: 42,
      tensors: { 'optim/exp_avg/w': Float32Array.of(1.5, -2, 3e-8), 'optim/exp_avg_sq/w': Float64Array.of(0.1, 1e-300, 7), 'optim/x/empty': new Float32Array(0) },
      meta: { optimizer: '{"type":"adamw"}' },
    };
    const bytes = serializeOptimizerState(state);
    const headLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headLen)));
    expect(header['optim/exp_avg/w']).toEqual({ dtype: 'F32', shape: [3], data_offsets: [0, 12] });
    expect((8 + headLen) % 8).toBe(0);
    const back = deserializeOptimizerState(bytes);
    expect(back).toEqual(state);
  });
  it('reports truncated files', () => {
    const bytes = serializeOptimizerState({ step: 1, tensors: { a: Float32Array.of(1) } });
    expect(() => deserializeOptimizerState(bytes.subarray(0, 12))).toThrow(/truncated or not safetensors/);
  });
});
