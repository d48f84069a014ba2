/**
 * The safetensors format (huggingface/safetensors, docs "Format"): an 8-byte little-endian u64
 * header size N, N bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, ...,
 * "__metadata__": { string: string } }`, then the byte buffer. Offsets are relative to the start
 * of the buffer, tensors are row-major little-endian and must cover the buffer without holes or
 * overlaps. We write F32 with `__metadata__: { format: 'pt' }` (transformers refuses a file without
 * it) and pad the header with spaces so the buffer starts 8-byte aligned, as the Rust writer does.
 */

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };
const DTYPES = Object.keys(DTYPE_BYTES) as SafetensorsDtype[];
/** Other dtypes the format defines: reported clearly rather than as a corrupt file. */
const KNOWN_UNSUPPORTED = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'F8_E4M3', 'F8_E5M2'];
/** The reference implementation's limit: a larger header is treated as corrupt. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range within the data buffer. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Absolute byte offset of the data buffer in the file. */
  dataStart: number;
}

export interface SafetensorsTensor<T extends Float32Array | Float64Array = Float32Array> {
  shape: number[];
  data: T;
}

/** Parses and validates the header (every tensor checked; all problems listed). */
export function readSafetensorsHeader(bytes: Uint8Array, source = 'safetensors file'): SafetensorsHeader {
  const fail = (why: string): never => {
    throw new Error(`${source} is not a valid safetensors file: ${why}`);
  };
  if (bytes.byteLength < 8) fail(`it has ${bytes.byteLength} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLen} exceeds ${MAX_HEADER_BYTES} bytes`);
  const n = Number(headerLen);
  if (8 + n > bytes.byteLength) fail(`header length ${n} runs past the end of the ${bytes.byteLength}-byte file`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('the header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.byteLength - dataStart;
  const problems: string[] = [];
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string')) {
        problems.push('__metadata__ must map strings to strings');
      } else metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) {
      problems.push(`${name}: entry is not an object`);
      continue;
    }
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      const known = typeof e.dtype === 'string' && KNOWN_UNSUPPORTED.includes(e.dtype);
      problems.push(
        `${name}: dtype ${JSON.stringify(e.dtype)} is ${known ? 'not supported here' : 'unknown'}; ` +
          `supported: ${DTYPES.join(', ')}`,
      );
      continue;
    }
    const dtype = e.dtype as SafetensorsDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      problems.push(`${name}: shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
      continue;
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isInteger(x) && x >= 0) || off[0] > off[1]) {
      problems.push(`${name}: data_offsets ${JSON.stringify(off)} is not [begin, end] with 0 <= begin <= end`);
      continue;
    }
    const [begin, end] = off as [number, number];
    const expected = (e.shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      problems.push(
        `${name}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} ` +
          `[${(e.shape as number[]).join(', ')}] needs ${expected}`,
      );
    }
    if (end > dataLen) problems.push(`${name}: data_offsets end ${end} is past the ${dataLen}-byte data buffer`);
    entries.set(name, { dtype, shape: e.shape as number[], begin, end });
  }
  // The buffer must be covered exactly once: sort by begin and walk.
  if (problems.length === 0) {
    let cursor = 0;
    for (const [name, e] of [...entries].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end)) {
      if (e.begin < cursor) problems.push(`${name}: bytes [${e.begin}, ${e.end}) overlap the previous tensor`);
      else if (e.begin > cursor) problems.push(`${name}: a hole of ${e.begin - cursor} bytes precedes it`);
      cursor = Math.max(cursor, e.end);
    }
    if (cursor !== dataLen) problems.push(`${dataLen - cursor} trailing bytes after the last tensor`);
  }
  if (problems.length > 0) fail(`${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  return { entries, metadata, dataStart };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half -> float (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decode<T extends Float32Array | Float64Array>(
  bytes: Uint8Array,
  entry: SafetensorsEntry,
  dataStart: number,
  Out: new (n: number) => T,
): T {
  const start = dataStart + entry.begin;
  const count = (entry.end - entry.begin) / DTYPE_BYTES[entry.dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, entry.end - entry.begin);
  if (entry.dtype === 'F32' && Out === (Float32Array as unknown) && LITTLE_ENDIAN_HOST) {
    // Fast path: a copy of the bytes is already the array (the copy also fixes alignment). Copy
    // with set(): a Node Buffer's slice() is a view, not a copy.
    const copy = new Uint8Array(4 * count);
    copy.set(bytes.subarray(start, start + 4 * count));
    return new Float32Array(copy.buffer) as T;
  }
  const out = new Out(count);
  switch (entry.dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift it back into place.
      const scratch = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        scratch.setUint32(0, view.getUint16(2 * i, true) << 16);
        out[i] = scratch.getFloat32(0);
      }
      break;
    }
  }
  return out;
}

export interface ReadSafetensorsResult<T extends Float32Array | Float64Array> {
  tensors: Map<string, SafetensorsTensor<T>>;
  /** The dtype each tensor had in the file. */
  dtypes: Map<string, SafetensorsDtype>;
  metadata: Record<string, string>;
}

/** Reads every tensor as float32 (F64 values are rounded; F16 and BF16 are exact in float32). */
export function readSafetensors(bytes: Uint8Array, source?: string): ReadSafetensorsResult<Float32Array> {
  return readAll(bytes, source, Float32Array);
}

/** Reads every tensor as float64 (exact for every supported dtype), for float64 checks. */
export function readSafetensorsF64(bytes: Uint8Array, source?: string): ReadSafetensorsResult<Float64Array> {
  return readAll(bytes, source, Float64Array);
}

function readAll<T extends Float32Array | Float64Array>(
  bytes: Uint8Array,
  source: string | undefined,
  Out: new (n: number) => T,
): ReadSafetensorsResult<T> {
  const header = readSafetensorsHeader(bytes, source);
  const tensors = new Map<string, SafetensorsTensor<T>>();
  const dtypes = new Map<string, SafetensorsDtype>();
  for (const [name, entry] of header.entries) {
    tensors.set(name, { shape: [...entry.shape], data: decode(bytes, entry, header.dataStart, Out) });
    dtypes.set(name, entry.dtype);
  }
  return { tensors, dtypes, metadata: header.metadata };
}

/** The dtypes writeSafetensors writes. */
export type WritableDtype = 'F32' | 'F16' | 'BF16';

const F32_SCRATCH = new DataView(new ArrayBuffer(4));

/** float -> bfloat16 bits, rounding to nearest even (torch's .to(torch.bfloat16)); NaN stays NaN. */
export function floatToBf16Bits(v: number): number {
  F32_SCRATCH.setFloat32(0, v);
  const u = F32_SCRATCH.getUint32(0);
  if ((u & 0x7fffffff) > 0x7f800000) return 0x7fc0; // NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float -> IEEE half bits, rounding to nearest even; overflow gives infinity (torch's .half()). */
export function floatToHalfBits(v: number): number {
  F32_SCRATCH.setFloat32(0, v);
  const u = F32_SCRATCH.getUint32(0);
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: zero
    // Subnormal: shift the mantissa (with its implicit 1) right, round to nearest even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1) === 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa rolls into the exponent, which is the right rounding (up to inf).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? 1 : 0));
}

/** Rounds values to what `dtype` stores (exactly what writing and reading back gives). */
export function roundToDtype(data: Float32Array, dtype: WritableDtype): Float32Array {
  if (dtype === 'F32') return data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    out[i] = dtype === 'BF16' ? bf16BitsToFloat(floatToBf16Bits(data[i] as number)) : halfToFloat(floatToHalfBits(data[i] as number));
  }
  return out;
}

function bf16BitsToFloat(bits: number): number {
  F32_SCRATCH.setUint32(0, bits << 16);
  return F32_SCRATCH.getFloat32(0);
}

/**
 * Serialises tensors (in the given order) as F32 (default), F16 or BF16, with `__metadata__`
 * (default { format: 'pt' }). Float64 input is rounded to the dtype. Shapes are checked against the
 * data length.
 */
export function writeSafetensors(
  tensors: Iterable<[string, SafetensorsTensor<Float32Array | Float64Array>]>,
  metadata: Record<string, string> = { format: 'pt' },
  dtype: WritableDtype = 'F32',
): Uint8Array {
  const width = DTYPE_BYTES[dtype];
  const header: Record<string, unknown> = { __metadata__: metadata };
  const list: [string, SafetensorsTensor<Float32Array | Float64Array>][] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error('writeSafetensors: "__metadata__" is reserved and cannot name a tensor');
    if (name in header) throw new Error(`writeSafetensors: tensor ${name} is given twice`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0) || n !== t.data.length) {
      throw new Error(
        `writeSafetensors: tensor ${name} has shape [${t.shape.join(', ')}] (${n} elements) but ${t.data.length} values`,
      );
    }
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + width * n] };
    offset += width * n;
    list.push([name, t]);
  }
  let json = JSON.stringify(header);
  // Pad with spaces so 8 + header length is a multiple of 8 (aligned data for zero-copy readers).
  json += ' '.repeat((8 - (new TextEncoder().encode(json).byteLength % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.byteLength;
  for (const [, t] of list) {
    if (dtype === 'F32') for (let i = 0; i < t.data.length; i++, pos += 4) view.setFloat32(pos, t.data[i] as number, true);
    else {
      // F64 input is rounded to float32 first, as torch rounds a float32 model's weights.
      const toBits = dtype === 'BF16' ? floatToBf16Bits : floatToHalfBits;
      for (let i = 0; i < t.data.length; i++, pos += 2) view.setUint16(pos, toBits(Math.fround(t.data[i] as number)), true);
    }
  }
  return out;
}
