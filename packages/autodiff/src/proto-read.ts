// Just enough protobuf reading to inspect a model we (or anyone) serialized: which graph inputs are
// float64 (to pick a safe optimisation level) and their names and types.

interface Field {
  field: number;
  wire: number;
  value: bigint | Uint8Array;
}

function* fields(bytes: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[pos++];
      if (b === undefined) throw new Error('protobuf: truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
    }
  };
  while (pos < bytes.length) {
    const tag = Number(varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      yield { field, wire, value: bytes.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 5) pos += 4;
    else if (wire === 1) pos += 8;
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
}

function sub(bytes: Uint8Array, field: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of fields(bytes)) if (f.field === field && f.value instanceof Uint8Array) out.push(f.value);
  return out;
}

export interface ModelInputInfo {
  name: string;
  elemType: number; // TensorProto.DataType (1 float, 7 int64, 11 double, ...)
}

/** Graph inputs of a serialized ModelProto (graph = field 7, GraphProto.input = 11). */
export function readModelInputs(model: Uint8Array): ModelInputInfo[] {
  const out: ModelInputInfo[] = [];
  for (const graph of sub(model, 7)) {
    for (const vi of sub(graph, 11)) {
      const name = new TextDecoder().decode(sub(vi, 1)[0] ?? new Uint8Array());
      let elemType = 0;
      for (const type of sub(vi, 2)) for (const tensor of sub(type, 1)) for (const f of fields(tensor)) if (f.field === 1 && typeof f.value === 'bigint') elemType = Number(f.value);
      out.push({ name, elemType });
    }
  }
  return out;
}
