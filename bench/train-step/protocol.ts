// The JSON-lines protocol of the benchmark's children (train_step_torch.py's docstring has the
// commands): one message per line on stdin, one reply per line on stdout.

export interface InitMessage {
  cmd: 'init';
  config: Record<string, unknown>;
  weights: string;
  batch: { input_ids: number[][]; attention_mask: number[][]; response_mask: number[][] };
  lr: number;
  weight_decay: number;
  max_grad_norm: number;
  threads: number;
}
export type Message = InitMessage | { cmd: 'steps' | 'forward'; n: number } | { cmd: 'exit' };
export interface Reply {
  ms?: number[];
  loss?: number[];
  logps?: number[];
  maxrss_mb: number;
  rss_mb: number;
}

