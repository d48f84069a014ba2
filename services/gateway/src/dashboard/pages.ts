/**
 * The dashboard's page shells, rendered with Hono's JSX runtime. They hold no data: the page script
 * (client/, served as /assets/dashboard.js) reads the API key from sessionStorage, calls the /v1 API
 * with it and fills the page with textContent. So a page is the same for every tenant and nothing a
 * user sent is ever part of the HTML except the ids in data-* attributes (escaped by the runtime).
 *
 * Written with `jsx()` calls rather than the `<tag>` syntax: Node runs the gateway's .ts files by
 * type stripping (node services/gateway/src/node.ts), which does not transform .tsx. `jsx()` is what
 * the syntax compiles to in hono/jsx, so the output is identical.
 */
import { jsx } from 'hono/jsx';

type Child = ReturnType<typeof jsx> | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | undefined>;

/** `h('p', { class: 'x' }, 'text')`: one element; string children are escaped by the runtime. */
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): ReturnType<typeof jsx> {
  const props = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined && v !== false));
  return jsx(tag, props, ...(children as never[]));
}

export type PageName = 'signin' | 'runs' | 'run' | 'samples' | 'not-found';

export interface PageOptions {
  page: PageName;
  title: string;
  /** data-* attributes for the script (run id, round). */
  data?: Record<string, string | number>;
  children: Child[];
}

function layout({ page, title, data = {}, children }: PageOptions): ReturnType<typeof jsx> {
  const dataAttrs = Object.fromEntries(Object.entries(data).map(([k, v]) => [`data-${k}`, String(v)]));
  return h(
      'html',
      { lang: 'en' },
      h(
        'head',
        {},
        h('meta', { charset: 'utf-8' }),
        h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
        h('title', {}, `${title} · SPPO`),
        h('link', { rel: 'icon', href: '/assets/favicon.svg', type: 'image/svg+xml' }),
        h('link', { rel: 'stylesheet', href: '/assets/dashboard.css' }),
        h('script', { src: '/assets/dashboard.js', defer: true }),
      ),
      h(
        'body',
        { 'data-page': page, ...dataAttrs },
        h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
        h(
          'header',
          { class: 'top' },
          h('a', { class: 'brand', href: '/runs' }, 'SPPO runs'),
          h('nav', { 'aria-label': 'Session', class: 'session', id: 'session', hidden: true }, h('span', { id: 'tenant' }), h('button', { type: 'button', id: 'sign-out' }, 'Sign out')),
        ),
        h('noscript', {}, h('p', { class: 'message' }, 'The dashboard needs JavaScript: it calls the API from this page with your key.')),
        h('main', { id: 'main', tabindex: -1 }, ...children),
        h('p', { id: 'live', class: 'live', role: 'status', 'aria-live': 'polite' }),
      ),
  );
}

/** The page as an HTML document. */
export async function renderPage(node: ReturnType<typeof jsx>): Promise<string> {
  return `<!doctype html>${await node.toString()}`;
}

const pager = (what: string) =>
  h(
    'nav',
    { class: 'pager', 'aria-label': `${what} pages` },
    h('button', { type: 'button', id: 'prev-page', disabled: true }, 'Previous page'),
    h('span', { id: 'page-label', class: 'page-label' }),
    h('button', { type: 'button', id: 'next-page', disabled: true }, 'Next page'),
  );

const pageSize = (label: string, sizes: readonly number[], selected: number) =>
  h('label', { for: 'page-size' }, label, ' ', h('select', { id: 'page-size' }, ...sizes.map((n) => h('option', { value: n, selected: n === selected }, String(n)))));

const message = () => h('p', { id: 'message', class: 'message', role: 'alert', hidden: true });

export function signInPage(): ReturnType<typeof jsx> {
  return layout({
    page: 'signin',
    title: 'Sign in',
    children: [
      h('h1', {}, 'Sign in'),
      h(
        'form',
        { id: 'signin-form', class: 'signin', method: 'post', action: '/', 'aria-describedby': 'signin-hint' },
        h('label', { for: 'api-key' }, 'API key'),
        h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' }),
        h('button', { type: 'submit' }, 'Sign in'),
      ),
      message(),
      h(
        'p',
        { id: 'signin-hint', class: 'hint' },
        'The key stays in this browser tab (sessionStorage) and is sent as the Authorization header of each API call; no cookie is set. ',
        h('code', {}, './sppo up'),
        ' prints a link that signs in with its key.',
      ),
    ],
  });
}

export function runsPage(): ReturnType<typeof jsx> {
  return layout({
    page: 'runs',
    title: 'Runs',
    children: [
      h('h1', {}, 'Runs'),
      h('div', { class: 'toolbar' }, pageSize('Runs per page', [10, 20, 50, 100], 20), h('button', { type: 'button', id: 'refresh' }, 'Refresh')),
      message(),
      h(
        'table',
        { id: 'runs-table', class: 'data' },
        h('caption', {}, 'Your runs, oldest first'),
        h('thead', {}, h('tr', {}, ...['Run', 'Status', 'Rounds done', 'Stage', 'Created', 'Model', 'Loss type'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}),
      ),
      pager('Run list'),
    ],
  });
}

const section = (id: string, title: string, ...children: Child[]) => h('section', { id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...children);

const chart = (id: string, caption: string, wide = false) => h('figure', { class: wide ? 'chart wide' : 'chart' }, h('figcaption', { id: `${id}-caption` }, caption), h('div', { id, class: 'chart-body', role: 'img', 'aria-labelledby': `${id}-caption` }));

export function runPage(runId: string): ReturnType<typeof jsx> {
  return layout({
    page: 'run',
    title: `Run ${runId}`,
    data: { 'run-id': runId },
    children: [
      h('p', { class: 'crumbs' }, h('a', { href: '/runs' }, 'Runs'), ' / ', h('span', {}, runId)),
      h('h1', {}, 'Run ', h('code', {}, runId)),
      message(),
      h(
        'div',
        { id: 'run-body', hidden: true },
        section(
          'overview',
          'Overview',
          h('dl', { id: 'overview-list', class: 'facts' }),
          h('div', { id: 'progress', class: 'progress' }),
          h(
            'div',
            { class: 'actions' },
            h('button', { type: 'button', id: 'cancel-run', disabled: true }, 'Cancel run'),
            h('button', { type: 'button', id: 'resume-run', disabled: true }, 'Resume run'),
            h('span', { id: 'action-result', class: 'action-result' }),
          ),
        ),
        section(
          'charts',
          'Charts',
          h('div', { class: 'charts' }, chart('chart-loss', 'Training loss per optimizer step (from each round\'s log_history)', true), chart('chart-winrate', 'Win-rate estimates per round'), chart('chart-length', 'Response length per round (tokens)'), chart('chart-eval', 'Evaluation: win rate of each new policy on held-out prompts (the run\'s judge)')),
        ),
        section('rounds', 'Rounds', h('div', { id: 'rounds-tables', class: 'tables' })),
        section('failures', 'Failures', h('div', { id: 'failures-list' })),
        section('config', 'Resolved config', h('p', { class: 'note' }, 'Every field of the run config with defaults filled in, as stored in run.json.'), h('div', { id: 'config-table' })),
      ),
    ],
  });
}

export function samplesPage(runId: string, round: number): ReturnType<typeof jsx> {
  return layout({
    page: 'samples',
    title: `Round ${round} samples of ${runId}`,
    data: { 'run-id': runId, round },
    children: [
      h('p', { class: 'crumbs' }, h('a', { href: '/runs' }, 'Runs'), ' / ', h('a', { href: `/runs/${runId}` }, runId), ' / ', h('span', {}, `round ${round} samples`)),
      h('h1', {}, `Round ${round} samples`),
      h('div', { class: 'toolbar' }, pageSize('Rows per page', [5, 10, 20, 50], 5)),
      message(),
      h('ol', { id: 'samples', class: 'samples' }),
      pager('Sample'),
    ],
  });
}

export function notFoundPage(what: string): ReturnType<typeof jsx> {
  return layout({ page: 'not-found', title: 'Not found', children: [h('h1', {}, 'Not found'), h('p', {}, what), h('p', {}, h('a', { href: '/runs' }, 'Back to your runs'))] });
}
