// The python3 that runs the PyTorch peers of the benchmarks (train_step_torch.py, judge_torch.py),
// which BLAS its torch loaded, and the thread settings a PyTorch user on this machine would try.
import { spawnSync } from 'node:child_process';

/** A python3 that imports torch: $SPPO_BENCH_PYTHON, python3 on PATH, /usr/bin/python3. */
export function findTorchPython(): string | undefined {
  const candidates = [process.env.SPPO_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

export interface TorchBlas {
  /** 'openblas', 'mkl', 'reference' (netlib libblas3, ~4x slower), or 'unknown'. */
  kind: 'openblas' | 'mkl' | 'reference' | 'unknown';
  /** The BLAS/LAPACK shared objects mapped into the torch process after a matmul. */
  libraries: string[];
  torch: string;
}

// Runs a matmul (so the BLAS is loaded), then lists what the process mapped. Debian's torch says
// BLAS_INFO=generic whichever libblas.so.3 the alternatives system points at, so its config is no
// guide: the mapped files are. A pip wheel links MKL statically (no file): its config says so.
const PROBE = `
import json, torch
torch.randn(64, 64) @ torch.randn(64, 64)
libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if any(k in l.lower() for k in ('blas', 'lapack', 'mkl'))})
print(json.dumps({'libraries': libs, 'torch': torch.__version__, 'config': torch.__config__.show()}))
`;

/** Which BLAS `python`'s torch actually loaded, read from its own /proc/self/maps. */
export function torchBlas(python: string): TorchBlas {
  const run = spawnSync(python, ['-c', PROBE], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${python} could not run torch: ${run.stderr.trim().split('\n').at(-1)}`);
  const { libraries, torch, config } = JSON.parse(run.stdout) as { libraries: string[]; torch: string; config: string };
  const has = (re: RegExp): boolean => libraries.some((l) => re.test(l));
  const kind: TorchBlas['kind'] = has(/openblas/i)
    ? 'openblas'
    : has(/mkl/i) || /BLAS_INFO=mkl/i.test(config)
      ? 'mkl'
      : has(/libblas\.so/) // a libblas.so.3 that is not OpenBLAS's: Debian's netlib libblas3
        ? 'reference'
        : 'unknown';
  return { kind, libraries, torch };
}

/**
 * The peer's BLAS, or an error that says how to get a fast one: a PyTorch on the reference BLAS
 * is about 4x slower than the same torch on OpenBLAS, and a win over it measures nothing.
 */
export function requireFastBlas(python: string, bench: string): TorchBlas {
  const blas = torchBlas(python);
  if (blas.kind === 'reference') {
    throw new Error(
      `bench ${bench}: ${python}'s torch ${blas.torch} runs on the reference BLAS (${blas.libraries.join(', ')}), ` +
        'about 4x slower than the same torch on OpenBLAS, so it is not the peer its users run. ' +
        'Fix: apt-get install libopenblas0-pthread (Debian switches libblas.so.3 to OpenBLAS), ' +
        'or set SPPO_BENCH_PYTHON to a python whose torch uses OpenBLAS or MKL.',
    );
  }
  return blas;
}

export interface PeerThreads {
  /** torch.set_num_threads: torch's own intra-op pool (elementwise ops, reductions, MKL). */
  torch: number;
  /** OPENBLAS_NUM_THREADS (also OMP_NUM_THREADS for OpenMP builds): threads inside each GEMM. */
  blas: number;
}

/**
 * The thread settings a PyTorch user on `cores` cores would try: every pair of 1 or all cores for
 * torch's pool and for the BLAS. Debian's torch runs GEMMs in OpenBLAS, whose threads are set only
 * by the environment, so torch threads alone do not parallelise a matmul.
 */
export function peerThreadSettings(cores: number): PeerThreads[] {
  const counts = [...new Set([cores, 1])];
  return counts.flatMap((torch) => counts.map((blas) => ({ torch, blas })));
}

/** The environment of a peer process with these threads. */
export function peerEnv({ blas }: PeerThreads): NodeJS.ProcessEnv {
  return { ...process.env, OPENBLAS_NUM_THREADS: String(blas), MKL_NUM_THREADS: String(blas) };
}
