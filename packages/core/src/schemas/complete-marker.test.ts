import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { formatUploadManifest, markerSizeProblems, parseCompleteMarker } from './complete-marker.ts';

const SHA = 'a'.repeat(64);

describe('parseCompleteMarker', () => {
  it("reads packages/model's checkpoint record", () => {
    const text = JSON.stringify({ format: 'sppo-checkpoint/1', files: { 'config.json': { bytes: 12, sha256: SHA }, 'model.safetensors': { bytes: 0, sha256: SHA } } });
    expect(parseCompleteMarker(text, 'k')).toEqual({
      kind: 'record',
      files: [
        { path: 'config.json', bytes: 12, sha256: SHA },
        { path: 'model.safetensors', bytes: 0, sha256: SHA },
      ],
    });
  });

  it("reads packages/cloud's upload manifest, and formatUploadManifest writes one", () => {
    const text = formatUploadManifest([{ path: 'config.json', size: 3 }, { path: 'sub/x.bin', size: 7 }]);
    expect(text).toBe('{"files":[{"path":"config.json","size":3},{"path":"sub/x.bin","size":7}]}\n');
    expect(parseCompleteMarker(text, 'k')).toEqual({ kind: 'upload', files: [{ path: 'config.json', bytes: 3 }, { path: 'sub/x.bin', bytes: 7 }] });
  });

  it('refuses anything else with a ValidationError naming the marker and both valid forms', () => {
    const bad = [
      'not json',
      '{}',
      // The gateway's former marker: a list of names.
      JSON.stringify({ source: 'models/tiny/', files: ['config.json'] }),
      JSON.stringify({ format: 'sppo-checkpoint/9', files: {} }),
      JSON.stringify({ format: 'sppo-checkpoint/1', files: { 'a.json': { bytes: 1, sha256: 'xyz' } } }),
      JSON.stringify({ files: [{ path: '../run.json', size: 1 }] }),
      JSON.stringify({ files: [{ path: '/etc/passwd', size: 1 }] }),
      JSON.stringify({ files: [{ path: 'a.json', size: -1 }] }),
    ];
    for (const text of bad) {
      let error: unknown;
      try {
        parseCompleteMarker(text, 'runs/r/checkpoints/0/_COMPLETE');
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).userError).toBe(true);
      expect((error as Error).message).toMatch(/checkpoint marker runs\/r\/checkpoints\/0\/_COMPLETE[\s\S]*upload manifest/);
    }
  });
});

describe('markerSizeProblems', () => {
  it('lists missing files and size mismatches', () => {
    const marker = parseCompleteMarker(formatUploadManifest([{ path: 'a', size: 1 }, { path: 'b', size: 2 }, { path: 'c', size: 3 }]), 'k');
    const sizes = new Map([['a', 1], ['b', 5]]);
    expect(markerSizeProblems(marker, (p) => sizes.get(p))).toEqual(['b has 5 bytes but _COMPLETE records 2', 'c is missing but _COMPLETE records 3']);
    expect(markerSizeProblems(marker, () => undefined)).toHaveLength(3);
    sizes.set('b', 2).set('c', 3);
    expect(markerSizeProblems(marker, (p) => sizes.get(p))).toEqual([]);
  });
});
