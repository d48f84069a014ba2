// The only module that creates onnxruntime sessions (like transformers.js's backends/onnx.js).
import * as ort from 'onnxruntime-node';
import { readModelInputs } from './proto-read.ts';
import type { AnyTypedArray, DType, TensorData } from './types.ts';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionOptions {
  /** An onnxruntime-node backend name: 'cpu' here; 'cuda', 'webgpu', ... where installed. */
  executionProvider?: string;
  /**
   * Defaults to 'all' for float32 graphs and 'basic' for graphs with float64 inputs: at 'all',
   * ORT fuses x*sigmoid(x) into a float-only kernel and float64 sessions fail to load (ENGINE-NOTES).
   */
  graphOptimizationLevel?: GraphOptimizationLevel;
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  /**
   * ORT's CPU memory arena (default on) keeps freed blocks for reuse. A training step's activations
   * and gradients are large and short-lived, and the arena holds on to its peak: turning it off cut a
   * 40M-parameter step's peak RSS from 3.5 GB to 2.7 GB with no measurable time cost (bench/train-step),
   * so the train stepper turns it off by default.
   */
  enableCpuMemArena?: boolean;
}

const LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

export function availableProviders(): string[] {
  return ort.listSupportedBackends().map((b) => b.name);
}

export async function createSession(
  modelBytes: Uint8Array,
  { executionProvider = 'cpu', graphOptimizationLevel, intraOpNumThreads, interOpNumThreads, enableCpuMemArena }: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const available = availableProviders();
  if (!available.includes(executionProvider)) {
    throw new Error(
      `createSession: execution provider "${executionProvider}" is not available in this onnxruntime-node build. ` +
        `Available: ${available.join(', ')}. Pick one of those, or on a GPU host reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12.`,
    );
  }
  if (graphOptimizationLevel !== undefined && !LEVELS.includes(graphOptimizationLevel))
    throw new Error(`createSession: graphOptimizationLevel "${String(graphOptimizationLevel)}" is not one of ${LEVELS.join(', ')}`);
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [executionProvider],
    graphOptimizationLevel: graphOptimizationLevel ?? (hasFloat64Input(modelBytes) ? 'basic' : 'all'),
    ...(intraOpNumThreads !== undefined ? { intraOpNumThreads } : {}),
    ...(interOpNumThreads !== undefined ? { interOpNumThreads } : {}),
    ...(enableCpuMemArena !== undefined ? { enableCpuMemArena } : {}),
  };
  return ort.InferenceSession.create(modelBytes, options);
}

/** True when some graph input is float64 (TensorProto.DataType 11 = DOUBLE). */
function hasFloat64Input(bytes: Uint8Array): boolean {
  return readModelInputs(bytes).some((i) => i.elemType === 11);
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool' };
const FROM_ORT: Partial<Record<string, DType>> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool' };

export function toOrt(t: TensorData): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data as never, t.dims);
}

export function fromOrt(t: ort.Tensor): TensorData {
  const dtype = FROM_ORT[t.type];
  if (!dtype) throw new Error(`fromOrt: tensor type ${t.type} is not supported; expected one of ${Object.keys(FROM_ORT).join(', ')}`);
  return { dtype, dims: [...t.dims], data: t.data as AnyTypedArray };
}
