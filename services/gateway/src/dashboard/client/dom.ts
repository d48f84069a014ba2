// DOM helpers of the page script. Text only ever goes in through textContent (Text nodes): nothing
// from the API is parsed as HTML, and the page's CSP (Trusted Types) would refuse innerHTML anyway.

export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined>;

function apply(node: Element, attrs: Attrs, children: Child[]): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element with attributes and children (strings become Text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  apply(node, attrs, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element (charts.ts). */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, attrs, children);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node as T;
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  apply(parent, {}, children);
}

/** A number for a table cell: 3 significant digits, integers as they are, '–' when absent. */
export function num(value: number | undefined | null, digits = 3): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '–';
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(digits - 1) : value.toPrecision(digits);
}

export function seconds(value: number | undefined): string {
  if (value === undefined) return '–';
  return value < 90 ? `${value.toFixed(1)} s` : `${(value / 60).toFixed(1)} min`;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS UTC` (the same for every viewer). */
export function time(iso: string | undefined): string {
  if (iso === undefined || iso === '') return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function badge(status: string): HTMLElement {
  return el('span', { class: `badge ${status}` }, status);
}

/** A label as text with line-break opportunities after '/' and '_' (TRL names: rewards/accuracies). */
function breakable(label: string): Child[] {
  return label.split(/(?<=[/_])/).flatMap((part, i) => (i === 0 ? [part] : [el('wbr'), part]));
}

/** A table with a caption, column headers and rows of cells; numeric columns right-aligned. */
export function table(caption: string, columns: readonly { label: string; numeric?: boolean; title?: string }[], rows: readonly Child[][], attrs: Attrs = {}): HTMLTableElement {
  return el(
    'table',
    { class: 'data', ...attrs },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { scope: 'col', class: c.numeric ? 'num' : undefined, title: c.title }, ...breakable(c.label))))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((cell, i) => el('td', { class: columns[i]?.numeric ? 'num' : undefined }, cell))))),
  );
}

/**
 * Runs `render` (which replaces content), keeping the keyboard focus: a link or button that had it
 * and exists again afterwards (same href or id) gets it back, so a page refreshed while the run goes
 * on does not throw the reader back to the top.
 */
export function keepingFocus(render: () => void): void {
  const active = document.activeElement;
  const href = active instanceof HTMLAnchorElement ? active.getAttribute('href') : null;
  const id = active instanceof HTMLElement && active.id !== '' ? active.id : null;
  render();
  if (active === null || document.activeElement === active || active.isConnected) return;
  const again = href !== null ? document.querySelector<HTMLElement>(`a[href="${CSS.escape(href)}"]`) : id !== null ? document.getElementById(id) : null;
  again?.focus();
}

/** Says `text` to screen readers (the page's live region). */
export function announce(text: string): void {
  const live = document.getElementById('live');
  if (live !== null) live.textContent = text;
}

export function showMessage(text: string, { info = false }: { info?: boolean } = {}): void {
  const box = document.getElementById('message');
  if (box === null) return;
  box.textContent = text;
  box.classList.toggle('info', info);
  box.setAttribute('role', info ? 'status' : 'alert');
  box.hidden = text === '';
}
