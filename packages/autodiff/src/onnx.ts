// The ONNX ModelProto subset we emit, and its encoder. Field numbers and enum values follow
// onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
import { ProtoWriter } from './proto.ts';
import type { Dim, DType } from './types.ts';

export type Attr =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: readonly number[] }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'tensor'; value: InitializerDef };

export interface NodeDef {
  name: string;
  opType: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attr>;
}

export interface ValueInfoDef {
  name: string;
  dtype: DType;
  shape: readonly Dim[];
}

export interface InitializerDef {
  name: string;
  dtype: DType;
  dims: readonly number[];
  raw: Uint8Array;
}

export interface GraphDef {
  name: string;
  nodes: NodeDef[];
  inputs: ValueInfoDef[];
  outputs: ValueInfoDef[];
  initializers: InitializerDef[];
}

// TensorProto.DataType
export const ONNX_DTYPE: Record<DType, number> = { float32: 1, uint16: 4, int32: 6, int64: 7, bool: 9, float64: 11 };

// AttributeProto.AttributeType
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

/** A symbolic dim is declared by name only when it is a plain identifier; derived dims ('a+b', '?') stay anonymous. */
const PLAIN_SYMBOL = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function writeTensor(w: ProtoWriter, t: InitializerDef): void {
  if (t.dims.length > 0) w.packedInts(1, t.dims);
  w.int(2, ONNX_DTYPE[t.dtype]);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfoDef): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, ONNX_DTYPE[v.dtype]);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => {
            if (typeof d === 'number') dim.int(1, d);
            else if (PLAIN_SYMBOL.test(d)) dim.string(2, d);
          });
        }
      });
    }),
  );
}

function writeAttr(w: ProtoWriter, name: string, a: Attr): void {
  w.string(1, name);
  w.int(20, ATTR_TYPE[a.type]);
  switch (a.type) {
    case 'int':
      w.int(3, a.value);
      break;
    case 'float':
      w.float(2, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
    case 'floats':
      for (const f of a.value) w.float(7, f);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, a.value));
      break;
  }
}

function writeNode(w: ProtoWriter, n: NodeDef): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes)) w.message(5, (aw) => writeAttr(aw, name, a));
  if (n.domain) w.string(7, n.domain);
}

/** Serializes a graph as an ONNX ModelProto (IR 8, the default ai.onnx domain at `opset`). */
export function encodeModel(graph: GraphDef, opset: number, extraDomains: Record<string, number> = {}): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8); // ir_version 8: loads in onnxruntime 1.30 with opset 18 (ENVIRONMENT.md)
  w.string(2, 'sppo-autodiff');
  w.message(7, (g) => {
    for (const n of graph.nodes) g.message(1, (nw) => writeNode(nw, n));
    g.string(2, graph.name);
    for (const t of graph.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (o) => o.string(1, '').int(2, opset));
  for (const [domain, version] of Object.entries(extraDomains)) w.message(8, (o) => o.string(1, domain).int(2, version));
  return w.finish();
}
