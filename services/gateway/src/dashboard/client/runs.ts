// The runs page (/runs): GET /v1/runs a page at a time (the API's cursor; earlier pages are
// remembered here so "Previous page" works), refreshed every few seconds while a run on the page runs.
import type { ApiClient } from '../../api/client.ts';
import { unwrap } from '../../api/client.ts';
import { announce, badge, byId, el, keepingFocus, replace, showMessage, time } from './dom.ts';
import { cursorPager } from './pager.ts';
import { failureText } from './session.ts';

const REFRESH_MS = 5_000;

export function runsPage(api: ApiClient): void {
  const body = byId('runs-table').querySelector('tbody') as HTMLTableSectionElement;
  const label = byId('page-label');
  const pager = cursorPager(load);
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function load(): Promise<void> {
    clearTimeout(timer);
    const { cursor, page } = pager;
    try {
      const list = await unwrap(api.GET('/v1/runs', { params: { query: { limit: pager.limit, ...(cursor === undefined ? {} : { cursor }) } } }), 'GET /v1/runs');
      showMessage(list.runs.length === 0 && page === 0 ? 'No runs yet: submit one with ./sppo run recipe.yaml or POST /v1/runs.' : '', { info: true });
      keepingFocus(() => replace(
        body,
        ...list.runs.map((run) =>
          el(
            'tr',
            {},
            el('td', { class: 'wrap' }, el('a', { href: `/runs/${run.run_id}` }, run.run_id)),
            el('td', {}, badge(run.status)),
            el('td', { class: 'num' }, `${run.current_round ?? run.num_iterations}/${run.num_iterations}`),
            el('td', {}, run.stage),
            el('td', {}, time(run.created_at)),
            el('td', { class: 'wrap' }, run.model_name_or_path),
            el('td', {}, run.loss_type),
          ),
        ),
      ));
      pager.loaded(list.next_cursor);
      label.textContent = `Page ${page + 1}, ${list.runs.length} run${list.runs.length === 1 ? '' : 's'}`;
      announce(label.textContent);
      if (list.runs.some((run) => run.status === 'running')) timer = setTimeout(() => void load(), REFRESH_MS);
    } catch (error) {
      showMessage(failureText(error));
    }
  }

  byId('refresh').addEventListener('click', () => void load());
  void load();
}
