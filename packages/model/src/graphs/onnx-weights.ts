/**
 * Turns graph inputs into initializers inside an encoded ONNX ModelProto, either embedded
 * (raw_data) or in an external data file (TensorProto.data_location = EXTERNAL, onnx/onnx.proto),
 * without re-encoding the graph: the GraphProto's `input` entries for the weights are dropped and
 * `initializer` entries appended. Only top-level protobuf framing is parsed (field numbers from
 * onnx.proto: ModelProto.graph = 7; GraphProto.initializer = 5, input = 11; ValueInfoProto.name = 1).
 */

/** A float32 tensor to store; `data` may be a view of a larger buffer (it is copied or sliced, never mutated). */
export interface WeightTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** The largest protobuf message protobuf parsers accept (2 GiB - 1). */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

interface Field {
  field: number;
  wire: number;
  /** byte range of the whole field (tag included) */
  start: number;
  end: number;
  /** byte range of the payload of a length-delimited field */
  valueStart: number;
}

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++];
    if (b === undefined) throw new Error('ONNX model bytes end inside a varint (truncated file?)');
    value += (b & 0x7f) * mul;
    if (b < 0x80) return [value, pos];
    mul *= 128;
  }
}

function readFields(buf: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const [tag, p1] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let valueStart = p1;
    if (wire === 0) pos = readVarint(buf, p1)[1];
    else if (wire === 1) pos = p1 + 8;
    else if (wire === 5) pos = p1 + 4;
    else if (wire === 2) {
      const [len, p2] = readVarint(buf, p1);
      valueStart = p2;
      pos = p2 + len;
    } else throw new Error(`unsupported protobuf wire type ${wire} in ONNX model bytes`);
    out.push({ field, wire, start: fieldStart, end: pos, valueStart });
  }
  return out;
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return bytes;
}

const enc = new TextEncoder();

function keyField(field: number, wire: number): number[] {
  return varint(field * 8 + wire);
}

function lenField(field: number, payload: ArrayLike<number>): number[] {
  return [...keyField(field, 2), ...varint(payload.length), ...Array.from(payload)];
}

function stringEntry(key: string, value: string): number[] {
  return [...lenField(1, enc.encode(key)), ...lenField(2, enc.encode(value))];
}

/** TensorProto bytes except the raw data, plus where the raw data goes. */
function tensorHeader(t: WeightTensor, external: { location: string; offset: number } | null): number[] {
  const dims = t.dims.flatMap((d) => varint(d));
  const head = [...lenField(1, dims), ...keyField(2, 0), 1 /* FLOAT */, ...lenField(8, enc.encode(t.name))];
  if (!external) return [...head, ...keyField(9, 2), ...varint(t.data.byteLength)];
  return [
    ...head,
    ...lenField(13, stringEntry('location', external.location)),
    ...lenField(13, stringEntry('offset', String(external.offset))),
    ...lenField(13, stringEntry('length', String(t.data.byteLength))),
    ...keyField(14, 0),
    1 /* EXTERNAL */,
  ];
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export interface AttachedModel {
  model: Uint8Array;
  /** Chunks of the external data file, in order (empty when weights are embedded). */
  externalData: Uint8Array[];
}

/**
 * Replaces the graph inputs named like `weights` by initializers holding their values. With
 * `externalLocation`, the values go to a data file of that name (resolved beside model.onnx)
 * and the model only references them.
 */
export function attachWeights(model: Uint8Array, weights: WeightTensor[], { externalLocation }: { externalLocation?: string } = {}): AttachedModel {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('attachWeights writes float32 raw data as-is and needs a little-endian machine');
  }
  const names = new Set(weights.map((w) => w.name));
  const top = readFields(model, 0, model.length);
  const graphField = top.find((f) => f.field === 7 && f.wire === 2);
  if (!graphField) throw new Error('ONNX model bytes have no graph (ModelProto field 7)');
  const kept: Field[] = [];
  const seen = new Set<string>();
  for (const f of readFields(model, graphField.valueStart, graphField.end)) {
    if (f.field === 11 && f.wire === 2) {
      const nameField = readFields(model, f.valueStart, f.end).find((x) => x.field === 1);
      const name = nameField ? new TextDecoder().decode(model.subarray(nameField.valueStart, nameField.end)) : '';
      if (names.has(name)) {
        seen.add(name);
        continue;
      }
    }
    kept.push(f);
  }
  const missing = [...names].filter((n) => !seen.has(n));
  if (missing.length > 0) throw new Error(`attachWeights: the graph has no input named ${missing.join(', ')}`);

  let offset = 0;
  const parts = weights.map((w) => {
    const header = tensorHeader(w, externalLocation ? { location: externalLocation, offset } : null);
    if (externalLocation) offset += w.data.byteLength;
    const size = header.length + (externalLocation ? 0 : w.data.byteLength);
    return { w, header, prefix: [...keyField(5, 2), ...varint(size)], size };
  });
  const keptBytes = kept.reduce((n, f) => n + f.end - f.start, 0);
  const graphLen = keptBytes + parts.reduce((n, p) => n + p.prefix.length + p.size, 0);
  const graphPrefix = [...keyField(7, 2), ...varint(graphLen)];
  const total = graphField.start + graphPrefix.length + graphLen + (model.length - graphField.end);
  if (total > PROTOBUF_LIMIT) {
    throw new Error(
      `The model with embedded weights would be ${total} bytes, over protobuf's 2 GiB limit; ` +
        "store the weights in an external file instead (externalData: 'always' writes model.onnx_data).",
    );
  }
  const out = new Uint8Array(total);
  let pos = 0;
  const put = (bytes: ArrayLike<number>): void => {
    out.set(bytes, pos);
    pos += bytes.length;
  };
  put(model.subarray(0, graphField.start));
  put(graphPrefix);
  for (const f of kept) put(model.subarray(f.start, f.end));
  for (const p of parts) {
    put(p.prefix);
    put(p.header);
    if (!externalLocation) put(bytesOf(p.w.data));
  }
  put(model.subarray(graphField.end));
  return { model: out, externalData: externalLocation ? weights.map((w) => bytesOf(w.data)) : [] };
}
