// The dashboard's stylesheet and icon, as strings so the app serves them the same way on Workers and
// on Node (routes.ts). System fonts only: no font file, no request elsewhere.

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f4e79"/><path d="M7 22 L13 14 L18 18 L25 9" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>
`;

export const DASHBOARD_CSS = `
:root {
  --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa;
  --accent: #1f4e79; --accent-fg: #ffffff; --focus: #d97706;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --info: #0969da;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--info); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible, main:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px;
}
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
.skip { position: absolute; left: -999px; top: 0; background: var(--accent); color: var(--accent-fg); padding: 0.5em 1em; }
.skip:focus { left: 0.5em; z-index: 10; }
header.top { display: flex; align-items: center; justify-content: space-between; gap: 1em; padding: 0.6em 1.5em; background: var(--accent); color: var(--accent-fg); }
header.top .brand { color: var(--accent-fg); font-weight: 700; text-decoration: none; font-size: 1.1em; }
header.top .session { display: flex; align-items: center; gap: 0.8em; }
header.top .session[hidden] { display: none; }
header.top button { background: transparent; color: var(--accent-fg); border-color: rgba(255,255,255,0.7); }
main { max-width: 1280px; margin: 0 auto; padding: 1em 1.5em 3em; }
main:focus { outline: none; }
h1 { font-size: 1.5em; margin: 0.4em 0 0.6em; overflow-wrap: anywhere; }
h2 { font-size: 1.15em; margin: 1.6em 0 0.6em; padding-bottom: 0.2em; border-bottom: 1px solid var(--line); }
h3 { font-size: 1em; margin: 0 0 0.4em; }
button, select, input { font: inherit; }
button { padding: 0.35em 0.9em; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: var(--fg); cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--muted); }
button:disabled { opacity: 0.5; cursor: not-allowed; }
button.primary, form.signin button { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
button.danger { color: var(--bad); border-color: var(--bad); background: #fff; }
select, input { padding: 0.35em 0.5em; border: 1px solid var(--muted); border-radius: 6px; background: #fff; }
.crumbs { margin: 0.4em 0 0; color: var(--muted); overflow-wrap: anywhere; }
.hint { color: var(--muted); max-width: 46em; }
form.signin { display: flex; flex-wrap: wrap; align-items: center; gap: 0.6em; margin: 1em 0; }
form.signin label { font-weight: 600; }
form.signin input { width: min(32em, 100%); }
.message { padding: 0.7em 1em; border-radius: 6px; border: 1px solid var(--bad); background: #ffebe9; color: #82071e; max-width: 60em; }
.message.info { border-color: var(--info); background: #ddf4ff; color: #0a3069; }
.message[hidden] { display: none; }
.live { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 1em; margin: 0.6em 0; }
.pager { display: flex; align-items: center; gap: 1em; margin: 1em 0; }
.page-label { color: var(--muted); }
.scroll, .tables { overflow-x: auto; }
table.data { border-collapse: collapse; width: 100%; margin: 0.4em 0 1.2em; font-variant-numeric: tabular-nums; }
table.data caption { text-align: left; font-weight: 600; padding: 0.3em 0; color: var(--muted); }
table.data th, table.data td { padding: 0.4em 0.6em; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.data thead th { background: var(--panel); font-weight: 600; vertical-align: bottom; }
table.data td.num { text-align: right; white-space: nowrap; }
table.data th.num { text-align: right; }
table.data tbody tr:hover { background: #f0f6ff; }
table.data td.wrap { overflow-wrap: anywhere; min-width: 12em; }
.badge { display: inline-block; padding: 0.05em 0.6em; border-radius: 999px; font-size: 0.85em; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.badge.running { color: var(--info); }
.badge.completed { color: var(--ok); }
.badge.cancelled { color: var(--warn); }
.badge.failed { color: var(--bad); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3em 1.2em; margin: 0.4em 0 1em; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
dl.config { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 0 1.5em; margin: 0.4em 0; }
dl.config div { display: flex; justify-content: space-between; gap: 1em; padding: 0.3em 0; border-bottom: 1px solid var(--line); }
dl.config dt { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; color: var(--muted); }
dl.config dd { margin: 0; text-align: right; overflow-wrap: anywhere; }
.note { color: var(--muted); margin: 0 0 1em; }
.progress { display: grid; gap: 0.4em; max-width: 40em; margin: 0.4em 0 1em; }
.progress label { display: grid; grid-template-columns: 12em 1fr 6em; align-items: center; gap: 0.8em; color: var(--muted); }
.progress progress { width: 100%; height: 0.9em; }
.actions { display: flex; flex-wrap: wrap; align-items: center; gap: 0.8em; }
.action-result { color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1.2em; }
.charts figure.wide { grid-column: 1 / -1; }
figure.chart { margin: 0; padding: 0.8em; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
figure.chart figcaption { font-weight: 600; margin-bottom: 0.4em; }
.chart-body svg { width: 100%; height: auto; display: block; }
.chart-empty { color: var(--muted); padding: 2em 0; text-align: center; }
svg .axis line, svg .axis path { stroke: #8c959f; }
svg .grid line { stroke: #eaeef2; }
svg text { font: 12px system-ui, "DejaVu Sans", sans-serif; fill: #424a53; }
svg .legend text { font-size: 12px; }
ul.failures { padding-left: 1.2em; }
ul.failures li { margin: 0.3em 0; }
.empty { color: var(--muted); }
ol.samples { list-style: none; padding: 0; margin: 0; display: grid; gap: 1.4em; }
article.sample { border: 1px solid var(--line); border-radius: 8px; padding: 0.9em 1.1em; background: #fff; }
article.sample h2 { margin-top: 0; font-size: 1em; border: 0; }
article.sample .meta { color: var(--muted); font-weight: 400; }
pre.text { white-space: pre-wrap; word-break: break-word; margin: 0.2em 0 0.8em; padding: 0.6em 0.8em; background: var(--panel); border-radius: 6px; max-height: 16em; overflow: auto; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 1em; }
.pair section { border-radius: 6px; padding: 0.6em 0.8em; border: 1px solid var(--line); }
.pair section.chosen { border-left: 4px solid var(--ok); }
.pair section.rejected { border-left: 4px solid var(--bad); }
.pair .prob { color: var(--muted); margin: 0 0 0.3em; font-variant-numeric: tabular-nums; }
tr.is-chosen td:first-child { box-shadow: inset 4px 0 var(--ok); }
tr.is-rejected td:first-child { box-shadow: inset 4px 0 var(--bad); }
.bar { display: inline-block; height: 0.7em; background: var(--accent); border-radius: 2px; vertical-align: middle; margin-right: 0.5em; }
@media (max-width: 640px) { main { padding: 0.6em; } .progress label { grid-template-columns: 1fr; } }
`;
