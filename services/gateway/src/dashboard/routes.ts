/**
 * The dashboard: pages at /, /runs, /runs/{id} and /runs/{id}/rounds/{t}/samples, and their assets
 * under /assets/. The pages are shells (pages.ts); the bundled script fills them from the /v1 API
 * with the key the user signed in with. Assets are strings in modules (assets.ts, bundle.gen.ts), so
 * the same app serves them on Workers and on Node with no static-file binding and no request
 * anywhere else. Every response carries a strict Content-Security-Policy: scripts, styles and
 * connections from this origin only, no inline script or style, and Trusted Types required, so
 * a string can never be assigned to innerHTML by any script on these pages.
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { runIdSchema } from '@sppo/core';
import type { GatewayEnv } from '../http/context.ts';
import { DASHBOARD_CSS, FAVICON_SVG } from './assets.ts';
import { DASHBOARD_JS } from './bundle.gen.ts';
import { notFoundPage, renderPage, runPage, runsPage, samplesPage, signInPage } from './pages.ts';

export const DASHBOARD_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  requireTrustedTypesFor: ["'script'"],
  trustedTypes: ["'none'"],
};

function asset(body: string, type: string): Response {
  return new Response(body, { headers: { 'content-type': type, 'cache-control': 'no-cache' } });
}

export function dashboardRoutes(): Hono<GatewayEnv> {
  const dashboard = new Hono<GatewayEnv>();
  // Only on the dashboard's own paths: this app is mounted at / next to the API.
  const headers = secureHeaders({ contentSecurityPolicy: DASHBOARD_CSP, referrerPolicy: 'no-referrer', crossOriginEmbedderPolicy: false });
  for (const path of ['/', '/runs', '/runs/*', '/assets/*']) dashboard.use(path, headers);

  const html = async (node: Parameters<typeof renderPage>[0], status: 200 | 404 = 200): Promise<Response> =>
    new Response(await renderPage(node), { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } });
  const validRunId = (raw: string): string | null => (runIdSchema.safeParse(raw).success ? raw : null);

  dashboard.get('/', () => html(signInPage()));
  dashboard.get('/runs', () => html(runsPage()));
  dashboard.get('/runs/:id', (c) => {
    const id = validRunId(c.req.param('id'));
    return id === null ? html(notFoundPage('That is not a run id.'), 404) : html(runPage(id));
  });
  dashboard.get('/runs/:id/rounds/:round/samples', (c) => {
    const id = validRunId(c.req.param('id'));
    const round = c.req.param('round');
    if (id === null || !/^(0|[1-9][0-9]{0,3})$/.test(round)) return html(notFoundPage('That is not a run id and round.'), 404);
    return html(samplesPage(id, Number(round)));
  });
  dashboard.get('/assets/dashboard.js', () => asset(DASHBOARD_JS, 'text/javascript; charset=utf-8'));
  dashboard.get('/assets/dashboard.css', () => asset(DASHBOARD_CSS, 'text/css; charset=utf-8'));
  dashboard.get('/assets/favicon.svg', () => asset(FAVICON_SVG, 'image/svg+xml'));
  return dashboard;
}
