// Shared value types of the builder and the runtime.

/** uint16 carries raw bfloat16 bits (onnxruntime-node has no bfloat16 tensor type): see ops/bf16.ts. */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint16' | 'bool';
export type FloatType = 'float32' | 'float64';
/** A number, or a symbolic (dynamic) dim such as 'batch_size'; derived dims read like 'past+seq' or '?'. */
export type Dim = number | string;

export interface Tensor {
  readonly name: string;
  readonly shape: readonly Dim[];
  readonly dtype: DType;
}

/** A number operand becomes a scalar of the other operand's dtype. */
export type Operand = Tensor | number;

export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int64'
      ? BigInt64Array
      : D extends 'int32'
        ? Int32Array
        : D extends 'uint16'
          ? Uint16Array
          : Uint8Array;

export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array;

/** Plain tensor data that crosses thread boundaries and files (no ORT objects). */
export interface TensorData {
  dtype: DType;
  dims: number[];
  data: AnyTypedArray;
}

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int64', 'int32', 'uint16', 'bool'];

export function isFloat(dtype: DType): dtype is FloatType {
  return dtype === 'float32' || dtype === 'float64';
}

/** Little-endian raw bytes of `values` as `dtype` (ONNX TensorProto.raw_data layout). */
export function encodeValues(values: ArrayLike<number> | readonly bigint[], dtype: DType): Uint8Array {
  const n = values.length;
  let arr: AnyTypedArray;
  switch (dtype) {
    case 'float32':
      arr = Float32Array.from(values as ArrayLike<number>, Number);
      break;
    case 'float64':
      arr = Float64Array.from(values as ArrayLike<number>, Number);
      break;
    case 'int32':
      arr = Int32Array.from(values as ArrayLike<number>, Number);
      break;
    case 'uint16':
      arr = Uint16Array.from(values as ArrayLike<number>, Number);
      break;
    case 'int64':
      arr = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = (values as ArrayLike<number | bigint>)[i]!;
        arr[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
      }
      break;
    case 'bool':
      arr = Uint8Array.from(values as ArrayLike<number>, (v) => (Number(v) ? 1 : 0));
      break;
  }
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

export function typedArrayFor(dtype: DType, length: number): AnyTypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'bool':
      return new Uint8Array(length);
  }
}
