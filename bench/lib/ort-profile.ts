// Summarizes an ONNX Runtime profile (SessionOptions.profileFilePrefix): kernel time per op type
// per run, its share, and the biggest nodes with their input shapes. Only the last `runs` runs
// count (the earlier ones are warm-up).

interface ProfileEvent {
  cat?: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[] };
}

export interface ProfileSummary {
  /** Wall time of each counted run (ms). */
  run_ms: number[];
  /** Sum of kernel times per run (ms); the rest of a run is ORT's own work between kernels. */
  kernel_ms_per_run: number;
  by_op_type: { op: string; ms_per_run: number; share: number; nodes_per_run: number }[];
  top_nodes: { node: string; op: string; ms_per_run: number; inputs: number[][] }[];
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

export function summarizeProfile(events: ProfileEvent[], runs: number, top = 12): ProfileSummary {
  const all = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const counted = all.slice(-runs);
  if (counted.length === 0) throw new Error('summarizeProfile: the profile has no model_run events (was the session run with profiling on?)');
  const t0 = counted[0]!.ts;
  const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= t0);
  const n = counted.length;
  const total = nodes.reduce((s, e) => s + e.dur, 0) / 1000 / n;
  const byOp = new Map<string, { ms: number; count: number }>();
  const byNode = new Map<string, { ms: number; op: string; inputs: number[][] }>();
  for (const e of nodes) {
    const op = e.args?.op_name ?? '?';
    const o = byOp.get(op) ?? { ms: 0, count: 0 };
    o.ms += e.dur / 1000 / n;
    o.count += 1 / n;
    byOp.set(op, o);
    const name = e.name.slice(0, -'_kernel_time'.length);
    const x = byNode.get(name) ?? { ms: 0, op, inputs: (e.args?.input_type_shape ?? []).map((d) => Object.values(d)[0] ?? []) };
    x.ms += e.dur / 1000 / n;
    byNode.set(name, x);
  }
  return {
    run_ms: counted.map((r) => round(r.dur / 1000, 1)),
    kernel_ms_per_run: round(total, 1),
    by_op_type: [...byOp]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([op, { ms, count }]) => ({ op, ms_per_run: round(ms), share: round(ms / total, 3), nodes_per_run: Math.round(count) })),
    top_nodes: [...byNode]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, top)
      .map(([node, { ms, op, inputs }]) => ({ node, op, ms_per_run: round(ms), inputs })),
  };
}
