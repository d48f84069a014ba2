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
   * ORT's CPU memory arena (default on) keeps freed blocks for reuse between runs. Turning it off
   * while the memory pattern stays on is the slow combination: ORT then allocates one large fresh
   * block on every run() and the kernel first-touches it (35k page faults and ~250 ms of system
   * time per 3M-parameter training step, ENGINE-NOTES "Profile of the project's training step").
   * The train stepper's default is chosen by measurement (bench/README.md, "Session settings").
   */
  enableCpuMemArena?: boolean;
  /**
   * ORT's memory pattern (default on): plans one block for a run's intermediate tensors from the
   * shapes of the first run. With the arena off it should be off too (see enableCpuMemArena).
   */
  enableMemPattern?: boolean;
  /**
   * When set, ORT's profiler records every node of every run and writes
   * `<prefix>_<timestamp>.json` when the session is released (bench/profile-train-step.ts).
   */
  profileFilePrefix?: string;
}

const LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

export function availableProviders(): string[] {
  return ort.listSupportedBackends().map((b) => b.name);
}

export async function createSession(
  modelBytes: Uint8Array,
  { executionProvider = 'cpu', graphOptimizationLevel, intraOpNumThreads, interOpNumThreads, enableCpuMemArena, enableMemPattern, profileFilePrefix }: SessionOptions = {},
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
    ...(enableMemPattern !== undefined ? { enableMemPattern } : {}),
    ...(profileFilePrefix !== undefined ? { enableProfiling: true, profileFilePrefix } : {}),
  };
  try {
    return await ort.InferenceSession.create(modelBytes, options);
  } catch (e) {
    throw executionProviderStartError(executionProvider, e) ?? e;
  }
}

/** What an execution provider needs on the host, for the error when it cannot start. */
const PROVIDER_NEEDS: Record<string, string> = {
  cuda: 'an NVIDIA GPU with the CUDA 12 and cuDNN 9 libraries, and onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12',
  tensorrt: 'an NVIDIA GPU with TensorRT and the CUDA 12 libraries, and onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12',
  webgpu: 'a GPU adapter (Vulkan, Metal or Direct3D 12) that Dawn can open',
};

/**
 * onnxruntime-node lists providers its build supports even where they cannot start (cuda's shared
 * libraries not installed, no WebGPU adapter). For such a failure this returns an error that says
 * which provider failed, what it needs and which ones start without extra libraries; for any other
 * error (a bad model, the CPU provider) it returns undefined.
 */
export function executionProviderStartError(executionProvider: string, error: unknown): Error | undefined {
  if (executionProvider === 'cpu') return undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (!/shared library|adapter|execution ?provider|cuda|cudnn|tensorrt|webgpu/i.test(message)) return undefined;
  const bundled = ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name);
  const needs = PROVIDER_NEEDS[executionProvider];
  return new Error(
    `execution provider "${executionProvider}" could not start on this host (${message.trim()}). ` +
      `${needs === undefined ? '' : `It needs ${needs}. `}Providers that start without extra libraries: ${bundled.join(', ')}.`,
    { cause: error },
  );
}

/** True when some graph input is float64 (TensorProto.DataType 11 = DOUBLE). */
function hasFloat64Input(bytes: Uint8Array): boolean {
  return readModelInputs(bytes).some((i) => i.elemType === 11);
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', uint16: 'uint16', bool: 'bool' };
const FROM_ORT: Partial<Record<string, DType>> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', uint16: 'uint16', bool: 'bool' };

export function toOrt(t: TensorData): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data as never, t.dims);
}

export function fromOrt(t: ort.Tensor): TensorData {
  const dtype = FROM_ORT[t.type];
  if (!dtype) throw new Error(`fromOrt: tensor type ${t.type} is not supported; expected one of ${Object.keys(FROM_ORT).join(', ')}`);
  return { dtype, dims: [...t.dims], data: t.data as AnyTypedArray };
}
