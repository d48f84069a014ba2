// The python3 that runs the PyTorch peers of the benchmarks (train_step_torch.py, judge_torch.py).
import { spawnSync } from 'node:child_process';

/** A python3 that imports torch: $SPPO_BENCH_PYTHON, python3 on PATH, /usr/bin/python3. */
export function findTorchPython(): string | undefined {
  const candidates = [process.env.SPPO_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}
