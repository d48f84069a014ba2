import { describe, expect, it } from 'vitest';
import { formatJsonl, formatJsonlErrors, parseJsonl, parseJsonlStream, collectJsonl, splitLines } from './jsonl.ts';
import type { SchemaLike } from './schema.ts';

interface Row {
  id: number;
}
const rowSchema: SchemaLike<Row> = {
  safeParse(value) {
    const id = (value as { id?: unknown } | null)?.id;
    return typeof id === 'number'
      ? { success: true, data: { id } }
      : { success: false, error: { issues: [{ path: ['id'], message: 'expected a number' }] } };
  },
};

async function* chunksOf(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

describe('JSONL', () => {
  const text = '{"id":1}\n{"id":\n\n{"id":"x"}\r\n{"id":4}\nnot json\n{"id":"é"}\n{"id":7}';

  it('reports every bad line with its 1-based number, blank lines skipped', () => {
    const result = parseJsonl(text, rowSchema);
    expect(result.rows).toEqual([{ id: 1 }, { id: 4 }, { id: 7 }]);
    expect(result.errors.map((e) => e.line)).toEqual([2, 4, 6, 7]);
    expect(result.errors[0]?.message).toMatch(/^invalid JSON/);
    expect(result.errors[1]?.message).toBe('id: expected a number');
    expect(formatJsonlErrors(result.errors, 2)).toBe(
      `line 2: ${result.errors[0]?.message}\nline 4: id: expected a number\n... and 2 more`,
    );
  });

  it('streams the same result whatever the chunk boundaries (multi-byte characters included)', async () => {
    const whole = parseJsonl(text, rowSchema);
    for (const size of [1, 2, 3, 7, 1000]) {
      expect(await collectJsonl(parseJsonlStream(chunksOf(text, size), rowSchema))).toEqual(whole);
    }
  });

  it('splits lines without inventing an empty last line', async () => {
    const lines: string[] = [];
    for await (const line of splitLines(chunksOf('a\r\nb\n', 1))) lines.push(line);
    expect(lines).toEqual(['a', 'b']);
  });

  it('formats one compact object a line and refuses unserialisable rows', () => {
    const out = formatJsonl([{ a: 1 }, { b: 'x\ny' }]);
    expect(out).toBe('{"a":1}\n{"b":"x\\ny"}\n');
    expect(parseJsonl(out).rows).toEqual([{ a: 1 }, { b: 'x\ny' }]);
    expect(() => formatJsonl([undefined])).toThrow(/not JSON-serialisable/);
  });
});
