// The run page (/runs/{id}): GET /v1/runs/{id} every few seconds while the run goes on, plus each
// finished round's GET /v1/runs/{id}/rounds/{t} once (its metrics carry the trainer's log_history,
// drawn as the loss per step). Cancel and resume call the API and the next poll shows the effect.
import type { ApiSchemas } from '@sppo/core';
import { unwrap, type ApiClient } from '../../api/client.ts';
import { lineChart, roundChart, type Series } from './charts.ts';
import { announce, badge, byId, el, keepingFocus, num, replace, seconds, showMessage, table, time, type Child } from './dom.ts';
import { failureText, signOut } from './session.ts';

type RunView = ApiSchemas['RunView'];
type RoundView = ApiSchemas['RoundView'];
type Metrics = Record<string, number> | undefined;

const POLL_MS = 2_000;

function overview(view: RunView): void {
  const current = view.current_round;
  const facts: [string, Child][] = [
    ['Status', badge(view.status)],
    ...(view.status_reason === undefined ? [] : ([['Reason', view.status_reason]] as [string, Child][])),
    ['Round', current === null ? `all ${view.num_iterations} rounds done` : `round ${current} (rounds are numbered from 0; ${current} of ${view.num_iterations} done)`],
    ['Stage', view.stage],
    ['Created', time(view.created_at)],
    ['Updated', time(view.status_updated_at)],
    ['Model', view.config.model_name_or_path],
    ['Loss type', `${view.config.loss_type} (beta ${view.config.beta})`],
    ['Judge', view.config.judge_model],
  ];
  replace(byId('overview-list'), ...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
  const bar = (what: string, done: number, total: number) =>
    el('label', {}, what, el('progress', { max: Math.max(total, 1), value: done }), `${done} / ${total}`);
  const rounds = view.rounds.filter((r) => r.checkpoint_complete).length;
  replace(
    byId('progress'),
    bar('Rounds trained', rounds, view.num_iterations),
    ...(current === null ? [] : [bar(`Round ${current} generated`, view.progress.generated, view.progress.shards), bar(`Round ${current} judged`, view.progress.judged, view.progress.shards)]),
  );
}

const samplesLink = (view: RunView, t: number, judged: number): Child =>
  judged > 0 ? el('a', { href: `/runs/${view.run_id}/rounds/${t}/samples` }, `Round ${t} samples`) : el('span', { class: 'empty' }, 'none yet');

function roundTables(view: RunView): void {
  const beta = view.config.beta;
  const shown = startedRounds(view);
  const waiting = view.rounds.length - shown.length;
  const progress = table(
    'Progress and timings (from the S3 objects of each stage)',
    [{ label: 'Round', numeric: true }, { label: 'Phase' }, { label: 'Generated', numeric: true }, { label: 'Judged', numeric: true }, { label: 'Checkpoint' }, { label: 'Generate', numeric: true }, { label: 'Judge', numeric: true }, { label: 'Train', numeric: true }, { label: 'Total', numeric: true }, { label: 'Samples' }],
    shown.map((r) => [
      r.round,
      r.phase,
      `${r.generated}/${r.shards}`,
      `${r.judged}/${r.shards}`,
      r.checkpoint_complete ? `checkpoints/${r.round + 1}` : '–',
      seconds(r.timings.generate_s),
      seconds(r.timings.judge_s),
      seconds(r.timings.train_s),
      seconds(r.timings.total_s),
      samplesLink(view, r.round, r.judged),
    ]),
    { id: 'progress-table' },
  );
  const judge = (r: RunView['rounds'][number]): Metrics => r.metrics?.judge;
  const judgeTable = table(
    'Judge metrics (means over the round\'s prompts)',
    [
      { label: 'Round', numeric: true },
      { label: 'Prompts', numeric: true },
      { label: 'Chosen win rate', numeric: true, title: 'judge/chosen_probs_win: mean win-rate estimate of the chosen response against pi_t' },
      { label: 'Rejected win rate', numeric: true, title: 'judge/chosen_probs_lose: mean win-rate estimate of the rejected response' },
      { label: 'P(chosen > rejected)', numeric: true, title: 'judge/chosen_probs' },
      { label: 'Ties', numeric: true, title: 'judge/ties: share of prompts whose K responses all scored the same' },
      { label: 'Tokens, all', numeric: true, title: 'judge/response_tokens: mean response length' },
      { label: 'Tokens, chosen', numeric: true, title: 'judge/chosen_tokens' },
      { label: 'Tokens, rejected', numeric: true, title: 'judge/rejected_tokens' },
      { label: 'Comparisons', numeric: true, title: 'judge/comparisons' },
    ],
    shown.map((r) => {
      const m = judge(r);
      return [r.round, num(m?.['judge/prompts']), num(m?.['judge/chosen_probs_win']), num(m?.['judge/chosen_probs_lose']), num(m?.['judge/chosen_probs']), num(m?.['judge/ties']), num(m?.['judge/response_tokens']), num(m?.['judge/chosen_tokens']), num(m?.['judge/rejected_tokens']), num(m?.['judge/comparisons'])];
    }),
    { id: 'judge-table' },
  );
  const trainTable = table(
    'Training metrics (TRL names; the last logged step, and the round\'s mean loss)',
    [
      { label: 'Round', numeric: true },
      { label: 'Steps', numeric: true, title: 'train/steps' },
      { label: 'train/loss', numeric: true, title: 'mean loss over the round\'s steps' },
      { label: 'loss', numeric: true, title: 'loss of the last logged step' },
      { label: 'grad_norm', numeric: true },
      { label: 'rewards/chosen', numeric: true, title: 'beta * mean log-ratio log pi/pi_t of the chosen responses' },
      { label: 'rewards/rejected', numeric: true, title: 'beta * mean log-ratio of the rejected responses' },
      { label: 'log-ratio chosen', numeric: true, title: 'rewards/chosen / beta' },
      { label: 'log-ratio rejected', numeric: true, title: 'rewards/rejected / beta' },
      { label: 'rewards/margins', numeric: true },
      { label: 'rewards/accuracies', numeric: true },
      { label: 'learning_rate', numeric: true },
      { label: 'Runtime', numeric: true, title: 'train/runtime_s' },
    ],
    shown.map((r) => {
      const m = r.metrics?.train;
      const ratio = (name: string) => (m?.[name] === undefined ? undefined : m[name] / beta);
      return [r.round, num(m?.['train/steps']), num(m?.['train/loss']), num(m?.['loss']), num(m?.['grad_norm']), num(m?.['rewards/chosen']), num(m?.['rewards/rejected']), num(ratio('rewards/chosen')), num(ratio('rewards/rejected')), num(m?.['rewards/margins']), num(m?.['rewards/accuracies']), num(m?.['learning_rate']), seconds(m?.['train/runtime_s'])];
    }),
    { id: 'train-table' },
  );
  const note = waiting > 0 ? el('p', { class: 'note' }, `${waiting} later round${waiting === 1 ? '' : 's'} not started yet.`) : null;
  replace(byId('rounds-tables'), progress, judgeTable, trainTable, evaluationTable(view), note);
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const interval = (value: number, ci: readonly number[]): string => `${pct(value)} [${pct(ci[0] ?? 0)}, ${pct(ci[1] ?? 1)}]`;

/** The evaluation stage's table (issue 21): one row per evaluated round whose metrics are written. */
function evaluationTable(view: RunView): HTMLElement {
  if (!view.evaluation.enabled) return el('p', { class: 'note', id: 'eval-table' }, 'Evaluation is off: set eval_prompts or eval_holdout in the run config to compare each new policy with pi_0 and pi_t on held-out prompts.');
  const tokens = (row: RunView['evaluation']['table'][number], policy: number) => num(row.mean_response_tokens.find((m) => m.policy === policy)?.tokens);
  return table(
    `Evaluation by the run's judge on ${view.evaluation.prompts} held-out prompt(s): win rate of pi_{t+1} with its 95% interval over prompts; LC = length-controlled (AlpacaEval 2.0 style, at zero length difference)`,
    [
      { label: 'Round', numeric: true },
      { label: 'Policy' },
      { label: 'vs pi_0', numeric: true, title: 'vs_base.win_rate: mean position-debiased judge probability that pi_{t+1} beats pi_0' },
      { label: 'LC vs pi_0', numeric: true, title: 'vs_base.lc_win_rate' },
      { label: 'vs pi_t', numeric: true, title: 'vs_previous.win_rate' },
      { label: 'LC vs pi_t', numeric: true, title: 'vs_previous.lc_win_rate' },
      { label: 'Tokens, pi_t+1', numeric: true, title: 'mean evaluation response length of the new policy' },
      { label: 'Tokens, pi_0', numeric: true },
      { label: 'Comparisons', numeric: true, title: 'judged pairs against pi_0 (each in both orders)' },
    ],
    view.evaluation.table.map((row) => [
      row.round,
      `pi_${row.candidate}`,
      interval(row.vs_base.win_rate, row.vs_base.win_rate_ci95),
      interval(row.vs_base.lc_win_rate, row.vs_base.lc_win_rate_ci95),
      interval(row.vs_previous.win_rate, row.vs_previous.win_rate_ci95),
      interval(row.vs_previous.lc_win_rate, row.vs_previous.lc_win_rate_ci95),
      tokens(row, row.candidate),
      tokens(row, 0),
      row.vs_base.comparisons,
    ]),
    { id: 'eval-table' },
  );
}

function failures(view: RunView): void {
  const host = byId('failures-list');
  if (view.failures.length === 0) {
    replace(host, el('p', { class: 'empty' }, 'No failed units.'));
    return;
  }
  replace(
    host,
    el(
      'ul',
      { class: 'failures' },
      ...view.failures.map((f) => el('li', {}, el('strong', {}, `${f.stage}, round ${f.round}${f.shard === undefined ? '' : `, shard ${f.shard}`}: `), f.reason, ` (${time(f.failed_at)})`)),
    ),
  );
}

function config(view: RunView): void {
  const items = Object.entries(view.config).map(([field, value]) => el('div', {}, el('dt', {}, field), el('dd', {}, typeof value === 'object' ? JSON.stringify(value) : String(value))));
  replace(byId('config-table'), el('dl', { id: 'config', class: 'config' }, ...items));
}

/** Rounds shown in tables and charts: up to the last one that started (at least one). */
function startedRounds(view: RunView): RunView['rounds'] {
  const last = view.rounds.findLastIndex((r) => r.phase !== 'waiting');
  return view.rounds.slice(0, Math.max(last + 1, 1));
}

function charts(view: RunView, rounds: Map<number, RoundView>): void {
  // Loss per optimizer step, steps numbered across rounds; one series per round.
  const series: Series[] = [];
  const breaks: { x: number; text: string }[] = [];
  let offset = 0;
  for (let t = 0; t < view.num_iterations; t++) {
    const history = rounds.get(t)?.metrics?.train?.log_history ?? [];
    if (history.length === 0) continue;
    if (offset > 0) breaks.push({ x: offset + 0.5, text: `round ${t}` });
    series.push({ name: `round ${t}`, points: history.map((entry) => ({ x: offset + entry.step, y: entry.loss })) });
    offset += Math.max(...history.map((entry) => entry.step));
  }
  lineChart(byId('chart-loss'), series, { xTitle: 'optimizer step (all rounds)', yTitle: 'loss', empty: 'No training step logged yet.', breaks });
  const shown = startedRounds(view);
  const judge = (name: string) => shown.map((r) => r.metrics?.judge?.[name]);
  roundChart(byId('chart-winrate'), shown.length, [{ name: 'chosen', values: judge('judge/chosen_probs_win') }, { name: 'rejected', values: judge('judge/chosen_probs_lose') }, { name: 'P(chosen > rejected)', values: judge('judge/chosen_probs') }], {
    yTitle: 'win rate vs pi_t',
    empty: 'No round judged yet.',
    domain: [0, 1],
    reference: { y: 0.5, text: '0.5' },
  });
  const evaluated = (pick: (row: RunView['evaluation']['table'][number]) => number) => shown.map((r) => (r.evaluation.metrics === null ? undefined : pick(r.evaluation.metrics)));
  roundChart(
    byId('chart-eval'),
    shown.length,
    [
      { name: 'vs pi_0', values: evaluated((m) => m.vs_base.win_rate) },
      { name: 'LC vs pi_0', values: evaluated((m) => m.vs_base.lc_win_rate) },
      { name: 'vs pi_t', values: evaluated((m) => m.vs_previous.win_rate) },
    ],
    {
      yTitle: 'win rate of pi_t+1',
      empty: view.evaluation.enabled ? 'No round evaluated yet.' : 'Evaluation is off (eval_prompts or eval_holdout turn it on).',
      domain: [0, 1],
      reference: { y: 0.5, text: '0.5' },
    },
  );
  roundChart(byId('chart-length'), shown.length, [{ name: 'all', values: judge('judge/response_tokens') }, { name: 'chosen', values: judge('judge/chosen_tokens') }, { name: 'rejected', values: judge('judge/rejected_tokens') }], {
    yTitle: 'tokens',
    empty: 'No response lengths yet (judged rounds report them).',
  });
}

export function runPage(api: ApiClient): void {
  const runId = document.body.dataset['runId'] ?? '';
  const cancel = byId<HTMLButtonElement>('cancel-run');
  const resume = byId<HTMLButtonElement>('resume-run');
  const result = byId('action-result');
  const rounds = new Map<number, RoundView>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastStatus = '';
  let lastState = '';
  let pendingResume = false;

  async function load(): Promise<void> {
    clearTimeout(timer);
    const { data: view, error, response } = await api.GET('/v1/runs/{id}', { params: { path: { id: runId } } });
    if (view === undefined) {
      if (response.status === 401) return signOut('refused');
      byId('run-body').hidden = true;
      showMessage(response.status === 404 ? `Run ${runId} not found: it does not exist, or it belongs to another tenant.` : `GET /v1/runs/${runId} answered HTTP ${response.status}: ${error?.error?.message ?? ''}`);
      return;
    }
    // Finished rounds' full metrics (log_history), fetched once each.
    await Promise.all(
      view.rounds
        .filter((r) => r.checkpoint_complete && !rounds.has(r.round))
        .map(async (r) => rounds.set(r.round, await unwrap(api.GET('/v1/runs/{id}/rounds/{t}', { params: { path: { id: runId, t: r.round } } }), `GET round ${r.round}`))),
    );
    showMessage('');
    byId('run-body').hidden = false;
    // Re-render only what changed since the last poll (most polls change nothing).
    const state = JSON.stringify([view, [...rounds.keys()]]);
    if (state !== lastState) {
      keepingFocus(() => {
        overview(view);
        roundTables(view);
        failures(view);
        config(view);
        charts(view, rounds);
      });
    }
    lastState = state;
    cancel.disabled = view.status !== 'running';
    resume.disabled = view.status !== 'cancelled' && view.status !== 'failed';
    if (view.status !== lastStatus) announce(`Run ${view.status}${view.current_round === null ? '' : `, round ${view.current_round}, ${view.stage}`}`);
    lastStatus = view.status;
    if (view.status === 'running') pendingResume = false;
    if (view.status === 'running' || pendingResume) timer = setTimeout(() => void load().catch(report), POLL_MS);
  }

  const report = (error: unknown): void => showMessage(failureText(error));

  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    void unwrap(api.POST('/v1/runs/{id}/cancel', { params: { path: { id: runId } }, body: { reason: 'cancelled from the dashboard' } }), 'cancel')
      .then((answer) => {
        result.textContent = answer.message;
        return load();
      })
      .catch(report);
  });
  resume.addEventListener('click', () => {
    resume.disabled = true;
    pendingResume = true;
    void unwrap(api.POST('/v1/runs/{id}/resume', { params: { path: { id: runId } } }), 'resume')
      .then((answer) => {
        result.textContent = answer.message;
        return load();
      })
      .catch(report);
  });
  void load().catch(report);
}
