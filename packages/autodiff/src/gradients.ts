// Reverse-mode differentiation over the recorded ops: gradient nodes are appended to the same
// graph, so one session computes loss, gradients and (later) the optimizer update.
import type { GraphBuilder } from './builder.ts';
import { fmtShape, isStaticShape, numel } from './shape.ts';
import { isFloat } from './types.ts';
import type { Tensor } from './types.ts';

export function gradients(g: GraphBuilder, loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  if (!isFloat(loss.dtype)) throw new Error(`gradients: loss ${loss.name} has dtype ${loss.dtype}; it must be float`);
  if (!isStaticShape(loss.shape) || numel(loss.shape) !== 1)
    throw new Error(`gradients: loss ${loss.name} must be a scalar (one element), got shape ${fmtShape(loss.shape)}; reduce it with reduceMean/reduceSum`);
  for (const w of wrt) if (!isFloat(w.dtype)) throw new Error(`gradients: cannot differentiate with respect to ${w.name} (${w.dtype}); only float tensors have gradients`);
  const ops = [...g.opRecords]; // snapshot: gradient nodes appended below are not revisited

  // Forward: float tensors that depend on some wrt through differentiable ops.
  const dep = new Set(wrt.map((w) => w.name));
  for (const op of ops) {
    if (op.grad === 'stop' || !op.inputs.some((i) => dep.has(i.name))) continue;
    for (const o of op.outputs) if (isFloat(o.dtype)) dep.add(o.name);
  }

  const contributions = new Map<string, Tensor[]>();
  const add = (name: string, t: Tensor): void => {
    const list = contributions.get(name);
    if (list) list.push(t);
    else contributions.set(name, [t]);
  };
  const total = (t: Tensor): Tensor | undefined => {
    const list = contributions.get(t.name);
    if (!list || list.length === 0) return undefined;
    const sum = list.length === 1 ? list[0]! : g.emit('Sum', list, t.shape, t.dtype, { grad: 'stop' });
    contributions.set(t.name, [sum]);
    return sum;
  };

  if (dep.has(loss.name)) add(loss.name, g.constant([1], [...loss.shape] as number[], loss.dtype));

  for (let k = ops.length - 1; k >= 0; k--) {
    const op = ops[k]!;
    if (op.grad === 'stop') continue;
    const dys = op.outputs.map((o) => (dep.has(o.name) ? total(o) : undefined));
    if (dys.every((d) => d === undefined)) continue;
    const needs = op.inputs.map((i) => dep.has(i.name));
    if (!needs.some(Boolean)) continue;
    if (op.grad === undefined)
      throw new Error(`gradients: op ${op.def.opType} (${op.def.name}) has no gradient rule; wrap its input in stopGradient() if no gradient should flow through it`);
    for (const t of [...op.inputs, ...op.outputs]) {
      if (isFloat(t.dtype) && !isStaticShape(t.shape))
        throw new Error(`gradients: ${op.def.opType} (${op.def.name}) has symbolic shape ${fmtShape(t.shape)} for ${t.name}; training graphs need static shapes (build one per shape bucket)`);
    }
    const dxs = op.grad(g, op, dys, needs);
    op.inputs.forEach((input, i) => {
      const dx = dxs[i];
      if (needs[i] && dx) add(input.name, dx);
    });
  }
  return wrt.map((w) => total(w) ?? g.zeros([...w.shape], w.dtype));
}
