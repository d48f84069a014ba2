// What bench/lora-memory.ts asks of a child process, and the one JSON line it answers.
export type ChildCase =
  | { kind: 'step'; name: string; mode: 'full' | 'lora'; base: 'float32' | 'bfloat16'; buckets: number[]; steps: number; threads: number }
  | { kind: 'merge'; name: string; lr: number; steps: number; threads: number }
  | { kind: 'speed-ab'; name: string; steps: number; threads: number };

export type ChildResult = Record<string, unknown> & { case: string };
