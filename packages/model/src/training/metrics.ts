/**
 * Progress lines and the run summary. Metric names follow TRL (`loss`, `rewards/chosen`,
 * `logps/rejected`, `grad_norm`, `learning_rate`, `epoch`, `step`; STYLE guideline 10); the
 * progress line is nanoGPT's one line per step: `step 12/40: loss 1.41, grad_norm 0.8, lr 1e-3, 312ms`.
 */
import type { TrainingPlan } from '@sppo/core';
import type { TrainingData } from './examples.ts';
import type { LogEntry } from './state.ts';

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : Number(x.toPrecision(4)).toString();
}

export function formatProgressLine(entry: LogEntry, { totalSteps, ms, kind }: { totalSteps: number; ms: number; kind: TrainingData['kind'] }): string {
  const e = entry as Record<string, number>;
  const parts = [`loss ${fmt(e.loss)}`];
  if (kind !== 'sft') parts.push(`margin ${fmt(e['rewards/margins'])}`, `acc ${fmt(e['rewards/accuracies'])}`);
  else if (e.mean_token_accuracy !== undefined) parts.push(`token_acc ${fmt(e.mean_token_accuracy)}`);
  parts.push(`grad_norm ${fmt(e.grad_norm)}`, `lr ${fmt(e.learning_rate)}`, `${Math.round(ms)}ms`);
  return `step ${entry.step}/${totalSteps}: ${parts.join(', ')}`;
}

export interface SummaryOptions {
  plan: TrainingPlan;
  numExamples: number;
  runtimeSeconds: number;
  resumedFromStep?: number | undefined;
}

/** HF-style end-of-training numbers (`train_loss` is the mean logged loss). */
export function summarize(logHistory: readonly LogEntry[], { plan, numExamples, runtimeSeconds, resumedFromStep }: SummaryOptions): Record<string, number> {
  const losses = logHistory.map((e) => (e as Record<string, number>).loss as number);
  const last = logHistory[logHistory.length - 1] as Record<string, number> | undefined;
  const summary: Record<string, number> = {
    'train/steps': plan.trainSteps,
    'train/epochs': plan.trainSteps / plan.stepsPerEpoch,
    'train/examples': numExamples,
    'train/schedule_steps': plan.scheduleSteps,
    'train/warmup_steps': plan.warmupSteps,
    'train/runtime_s': Number(runtimeSeconds.toFixed(3)),
    'train/loss': losses.length === 0 ? Number.NaN : losses.reduce((a, b) => a + b, 0) / losses.length,
  };
  if (last !== undefined) {
    for (const [k, v] of Object.entries(last)) if (k !== 'step' && k !== 'epoch' && k !== 'learning_rate') summary[`final/${k}`] = v;
  }
  if (resumedFromStep !== undefined) summary['train/resumed_from_step'] = resumedFromStep;
  return summary;
}
