// The samples page (/runs/{id}/rounds/{t}/samples): a round's triplet rows a page at a time from
// GET /v1/runs/{id}/rounds/{t}/samples: the prompt, chosen and rejected side by side with their
// win-rate estimates, and the K responses with theirs. Every text goes in as a Text node.
import type { ApiSchemas } from '@sppo/core';
import { unwrap, type ApiClient } from '../../api/client.ts';
import { announce, byId, el, num, replace, showMessage, table, type Child } from './dom.ts';
import { cursorPager } from './pager.ts';
import { failureText } from './session.ts';

type Sample = ApiSchemas['SamplePage']['samples'][number];
type Completion = string | { role: string; content: string }[];

/** The text of a completion: a string, or the assistant turn of a message list (official format). */
function completionText(completion: Completion): string {
  if (typeof completion === 'string') return completion;
  return completion.filter((m) => m.role === 'assistant').map((m) => m.content).join('\n') || completion.map((m) => `${m.role}: ${m.content}`).join('\n');
}

const text = (value: string): HTMLElement => el('pre', { class: 'text' }, value === '' ? '(empty)' : value);

function rateCell(rate: number | undefined): Child {
  const bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
  bar.style.width = `${Math.round((rate ?? 0) * 60)}px`;
  return el('span', {}, bar, num(rate));
}

function sampleItem(sample: Sample, index: number): HTMLElement {
  const { row } = sample;
  const heading = el('h2', { id: `sample-${index}` }, 'Prompt ', el('code', {}, row.prompt_id), el('span', { class: 'meta' }, ` (shard ${sample.shard}, line ${sample.line})`));
  const parts: Child[] = [heading, text(row.prompt)];
  if ('chosen' in row) {
    parts.push(
      el(
        'div',
        { class: 'pair' },
        el('section', { class: 'chosen', 'aria-label': 'Chosen response' }, el('h3', {}, 'Chosen'), el('p', { class: 'prob' }, `chosen_probs_win ${num(row.chosen_probs_win)}`), text(completionText(row.chosen))),
        el('section', { class: 'rejected', 'aria-label': 'Rejected response' }, el('h3', {}, 'Rejected'), el('p', { class: 'prob' }, `chosen_probs_lose ${num(row.chosen_probs_lose)}`), text(completionText(row.rejected))),
      ),
      el('p', { class: 'prob' }, `chosen_probs (P(chosen > rejected)) ${num(row.chosen_probs)}`),
    );
  } else {
    parts.push(el('p', { class: 'prob' }, `Response ${row.response_index}, win rate ${num(row.win_rate)}`), text(completionText(row.response)));
  }
  const responses = table(
    `The ${row.responses.length} responses with their win-rate estimates against pi_t`,
    [{ label: '#', numeric: true }, { label: 'Response' }, { label: 'Win rate', numeric: true }, { label: 'rm_score', numeric: true }, { label: 'Role' }],
    row.responses.map((response, k) => [
      k,
      el('span', {}, response === '' ? '(empty)' : response),
      rateCell(sample.win_rates[k]),
      num(row.rm_scores[k]),
      k === sample.chosen_index ? 'chosen' : k === sample.rejected_index ? 'rejected' : '',
    ]),
  );
  responses.querySelectorAll('tbody tr').forEach((tr, k) => {
    if (k === sample.chosen_index) tr.classList.add('is-chosen');
    else if (k === sample.rejected_index) tr.classList.add('is-rejected');
  });
  parts.push(responses);
  return el('li', {}, el('article', { class: 'sample', 'aria-labelledby': `sample-${index}` }, ...parts));
}

export function samplesPage(api: ApiClient): void {
  const runId = document.body.dataset['runId'] ?? '';
  const round = Number(document.body.dataset['round'] ?? '0');
  const list = byId('samples');
  const label = byId('page-label');
  // starts[i]: the 1-based number of the first row of page i.
  let starts = [1];
  const pager = cursorPager(load, {
    beforeNext: (page) => {
      starts = [...starts.slice(0, page + 1), (starts[page] ?? 1) + list.children.length];
    },
    onReset: () => {
      starts = [1];
    },
    afterMove: () => byId('main').focus(),
  });

  async function load(): Promise<void> {
    const { cursor, page } = pager;
    try {
      const result = await unwrap(
        api.GET('/v1/runs/{id}/rounds/{t}/samples', { params: { path: { id: runId, t: round }, query: { limit: pager.limit, ...(cursor === undefined ? {} : { cursor }) } } }),
        `GET /v1/runs/${runId}/rounds/${round}/samples`,
      );
      showMessage(result.samples.length === 0 ? 'No judged rows in this round yet.' : '', { info: true });
      replace(list, ...result.samples.map((sample, i) => sampleItem(sample, i)));
      pager.loaded(result.next_cursor);
      const first = starts[page] ?? 1;
      label.textContent = result.samples.length === 0 ? `Page ${page + 1}` : `Page ${page + 1}: rows ${first}–${first + result.samples.length - 1}`;
      announce(label.textContent);
    } catch (error) {
      replace(list);
      const message = failureText(error);
      showMessage(/HTTP 404/.test(message) ? `Round ${round} of run ${runId} not found: the run does not exist, belongs to another tenant, or has fewer rounds.` : message);
    }
  }

  void load();
}
