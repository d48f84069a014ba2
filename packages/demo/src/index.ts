// Public API of @sppo/demo: the embedded demo's task, oracle, evaluation maths, report and chart.
// This file only re-exports.
export * from './task.ts';
export * from './oracle.ts';
export * from './data.ts';
export * from './stats.ts';
export * from './report.ts';
export * from './chart.ts';
export * from './assets.ts';
export * from './evaluate.ts';
export * from './progress.ts';
export * from './run.ts';
export * from './demo.ts';
export * from './recipe.ts';
