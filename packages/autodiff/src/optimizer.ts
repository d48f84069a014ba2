// Optimizer updates and global-norm clipping as graph ops, following PyTorch's single-tensor
// implementations (torch/optim/adamw.py, rmsprop.py, sgd.py; torch/nn/utils/clip_grad.py) step by
// step, so float32 results match a PyTorch-style reference to rounding.
import type { GraphBuilder } from './builder.ts';
import type { Tensor } from './types.ts';

export interface AdamWConfig { type: 'adamw'; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }
export interface RMSpropConfig { type: 'rmsprop'; alpha?: number; eps?: number; weightDecay?: number; momentum?: number; centered?: boolean }
export interface SGDConfig { type: 'sgd'; momentum?: number; weightDecay?: number }
export type OptimizerConfig = AdamWConfig | RMSpropConfig | SGDConfig;

export const OPTIMIZER_TYPES = ['adamw', 'rmsprop', 'sgd'] as const;

/** Fills PyTorch's defaults (AdamW weight_decay 0.01; RMSprop alpha 0.99, eps 1e-8 outside the sqrt). */
export function resolveOptimizer(c: OptimizerConfig): Required<AdamWConfig> | Required<RMSpropConfig> | Required<SGDConfig> {
  switch (c?.type) {
    case 'adamw':
      return { type: 'adamw', beta1: c.beta1 ?? 0.9, beta2: c.beta2 ?? 0.999, eps: c.eps ?? 1e-8, weightDecay: c.weightDecay ?? 0.01 };
    case 'rmsprop':
      return { type: 'rmsprop', alpha: c.alpha ?? 0.99, eps: c.eps ?? 1e-8, weightDecay: c.weightDecay ?? 0, momentum: c.momentum ?? 0, centered: c.centered ?? false };
    case 'sgd':
      return { type: 'sgd', momentum: c.momentum ?? 0, weightDecay: c.weightDecay ?? 0 };
    default:
      throw new Error(`optimizer: type "${String((c as { type?: unknown })?.type)}" is not one of ${OPTIMIZER_TYPES.join(', ')}`);
  }
}

/** The state tensors one param carries (each shaped like the param), by state name. */
export function optimizerStateKinds(config: OptimizerConfig): string[] {
  const c = resolveOptimizer(config);
  if (c.type === 'adamw') return ['exp_avg', 'exp_avg_sq'];
  if (c.type === 'rmsprop') return ['square_avg', ...(c.momentum > 0 ? ['momentum_buffer'] : []), ...(c.centered ? ['grad_avg'] : [])];
  return c.momentum > 0 ? ['momentum_buffer'] : [];
}

export const stateName = (kind: string, param: string): string => `optim/${kind}/${param}`;
export const nextName = (input: string): string => `next/${input}`;

/** Names of the scalar hyperparameter inputs of an optimizer graph. */
export function optimizerScalarNames(config: OptimizerConfig): string[] {
  return resolveOptimizer(config).type === 'adamw' ? ['lr', 'adamw/step_size', 'adamw/bias_correction2_sqrt'] : ['lr'];
}

/**
 * Values of the scalar inputs for 1-based optimizer step `step`. AdamW's bias corrections are
 * computed here in double precision, as PyTorch computes them in Python floats.
 */
export function optimizerScalars(config: OptimizerConfig, step: number, lr: number): Record<string, number> {
  const c = resolveOptimizer(config);
  if (!(step >= 1)) throw new Error(`optimizerScalars: step must be >= 1 (the 1-based number of the update being made), got ${step}`);
  if (c.type !== 'adamw') return { lr };
  const bc1 = 1 - c.beta1 ** step;
  const bc2 = 1 - c.beta2 ** step;
  return { lr, 'adamw/step_size': lr / bc1, 'adamw/bias_correction2_sqrt': Math.sqrt(bc2) };
}

export interface GlobalNormClip {
  /** The gradients as given (not yet scaled). */
  grads: Tensor[];
  /** ||all grads||_2 (scalar). */
  norm: Tensor;
  /** min(1, max_norm / (norm + 1e-6)) (scalar); absent when there is no clipping. */
  coef?: Tensor;
  /** g * g per gradient, computed for the norm; AdamW reuses them for its second moment. */
  squares?: Tensor[];
}

/**
 * torch.nn.utils.clip_grad_norm_: total = ||all grads||_2, coef = min(1, max_norm / (total + 1e-6)).
 * The scaling by coef is left to the optimizer, which folds it into its own scalar factors
 * (emitOptimizer): one elementwise pass per parameter fewer than scaling every gradient first.
 */
export function globalNormClip(g: GraphBuilder, grads: readonly Tensor[], maxNorm: number | undefined): GlobalNormClip {
  const squares = grads.map((t) => g.mul(t, t));
  const sums = squares.map((t) => g.reduceSum(t, []));
  const sum = sums.length === 1 ? sums[0]! : g.emit('Sum', sums, [], sums[0]!.dtype, { grad: 'stop' });
  const norm = g.sqrt(sum);
  if (maxNorm === undefined) return { grads: [...grads], norm, squares };
  if (!(maxNorm > 0)) throw new Error(`maxGradNorm must be a positive number (HF max_grad_norm, e.g. 1.0), got ${maxNorm}`);
  return { grads: [...grads], norm, coef: g.minimum(g.div(maxNorm, g.add(norm, 1e-6)), 1), squares };
}

/** torch.nn.utils.clip_grad_norm_ with the scaled gradients materialised (see globalNormClip). */
export function clipByGlobalNorm(g: GraphBuilder, grads: readonly Tensor[], maxNorm: number | undefined): { grads: Tensor[]; norm: Tensor } {
  const { norm, coef } = globalNormClip(g, grads, maxNorm);
  return { grads: coef ? grads.map((t) => g.mul(t, coef)) : [...grads], norm };
}

export interface OptimizerGraph {
  /** [name, tensor] pairs to output: next/<param>, next/<state>. */
  outputs: [string, Tensor][];
  /** Carried state inputs declared by the optimizer (params are declared by the caller). */
  state: Tensor[];
  scalars: string[];
}

/**
 * Appends one optimizer update of `params` by `grads`; declares its state and scalar inputs. With
 * `clip` (globalNormClip of the same grads) the gradients are scaled by its coefficient: AdamW
 * folds it into the scalar factors of its moment updates and reuses the squares of the norm, the
 * other optimizers scale each gradient first.
 */
export function emitOptimizer(g: GraphBuilder, params: readonly Tensor[], grads: readonly Tensor[], config: OptimizerConfig, clip?: GlobalNormClip): OptimizerGraph {
  const c = resolveOptimizer(config);
  const scalars = optimizerScalarNames(c);
  const s: Record<string, Tensor> = {};
  for (const name of scalars) s[name] = g.input(name, [], g.floatType);
  const lr = s.lr!;
  const outputs: [string, Tensor][] = [];
  const state: Tensor[] = [];
  const declare = (kind: string, p: Tensor): Tensor => {
    const t = g.input(stateName(kind, p.name), [...p.shape], g.floatType);
    state.push(t);
    return t;
  };
  const emit = (t: Tensor, value: Tensor): void => void outputs.push([nextName(t.name), value]);
  const coef = clip?.coef;

  // AdamW, torch/optim/adamw.py single-tensor, with g = coef * raw gradient:
  //   exp_avg     m1 = b1 m + (1 - b1) g            = b1 m + [coef (1 - b1)] raw
  //   exp_avg_sq  v1 = b2 v + (1 - b2) g^2          = b2 v + [coef^2 (1 - b2)] raw^2
  //   param       p1 = p (1 - lr wd) - step_size m1 / (sqrt(v1) / bc2 + eps)
  //                  = p (1 - lr wd) - [step_size bc2] m1 / (sqrt(v1) + [eps bc2])
  // The bracketed factors are scalars computed once per step, so each parameter costs 12
  // elementwise passes instead of 17 (clip scale, lerp and the division by bc2 folded away);
  // the results equal PyTorch's to float32 rounding (optimizer.test.ts).
  const adamw =
    c.type === 'adamw'
      ? (() => {
          const bc2 = s['adamw/bias_correction2_sqrt']!;
          return {
            mScale: coef ? g.mul(coef, 1 - c.beta1) : g.constant([1 - c.beta1], [], g.floatType),
            vScale: coef ? g.mul(g.mul(coef, coef), 1 - c.beta2) : g.constant([1 - c.beta2], [], g.floatType),
            eps: g.mul(bc2, c.eps),
            stepSize: g.mul(s['adamw/step_size']!, bc2),
            decay: c.weightDecay ? g.sub(1, g.mul(lr, c.weightDecay)) : undefined,
          };
        })()
      : undefined;

  params.forEach((p, i) => {
    let grad = grads[i]!;
    if (c.type === 'adamw') {
      const m = declare('exp_avg', p);
      const v = declare('exp_avg_sq', p);
      const square = clip?.squares?.[i] ?? g.mul(grad, grad);
      const a = adamw!;
      const m1 = g.add(g.mul(m, c.beta1), g.mul(grad, a.mScale));
      const v1 = g.add(g.mul(v, c.beta2), g.mul(square, a.vScale));
      const update = g.mul(g.div(m1, g.add(g.sqrt(v1), a.eps)), a.stepSize);
      // param.mul_(1 - lr * weight_decay): decoupled decay (Loshchilov & Hutter), before the Adam step.
      emit(p, g.sub(a.decay ? g.mul(p, a.decay) : p, update));
      emit(m, m1);
      emit(v, v1);
      return;
    }
    if (coef) grad = g.mul(grad, coef);
    if (c.type === 'rmsprop') {
      if (c.weightDecay) grad = g.add(grad, g.mul(p, c.weightDecay)); // L2 (coupled), as torch.optim.RMSprop
      const sq = declare('square_avg', p);
      const sq1 = g.add(g.mul(sq, c.alpha), g.mul(g.mul(grad, grad), 1 - c.alpha));
      emit(sq, sq1);
      let avg: Tensor;
      if (c.centered) {
        const ga = declare('grad_avg', p);
        const ga1 = g.add(ga, g.mul(g.sub(grad, ga), 1 - c.alpha));
        emit(ga, ga1);
        avg = g.add(g.sqrt(g.sub(sq1, g.mul(ga1, ga1))), c.eps);
      } else avg = g.add(g.sqrt(sq1), c.eps); // eps outside the sqrt
      if (c.momentum > 0) {
        const buf = declare('momentum_buffer', p);
        const buf1 = g.add(g.mul(buf, c.momentum), g.div(grad, avg));
        emit(buf, buf1);
        emit(p, g.sub(p, g.mul(buf1, lr)));
      } else emit(p, g.sub(p, g.mul(g.div(grad, avg), lr)));
    } else {
      if (c.weightDecay) grad = g.add(grad, g.mul(p, c.weightDecay));
      if (c.momentum > 0) {
        // A zero-initialised buffer makes step 1 equal PyTorch's buf = grad.clone() (dampening 0).
        const buf = declare('momentum_buffer', p);
        const buf1 = g.add(g.mul(buf, c.momentum), grad);
        emit(buf, buf1);
        grad = buf1;
      }
      emit(p, g.sub(p, g.mul(grad, lr)));
    }
  });
  return { outputs, state, scalars };
}
