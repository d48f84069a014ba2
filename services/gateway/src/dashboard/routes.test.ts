// The dashboard's pages and assets through app.request(): shells without data, a strict CSP on
// every dashboard response (and none added to the API's), nothing loaded from elsewhere. The pages
// themselves run in a real browser in tests/dashboard/.
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { silentLogger } from '../ports.ts';
import { DASHBOARD_CSS, FAVICON_SVG } from './assets.ts';
import { DASHBOARD_JS } from './bundle.gen.ts';

// The pages and assets need no dependencies (no S3, no key): an app whose deps would throw.
const app = createApp({
  resolveDeps: () => {
    throw new Error('the dashboard routes must not need the request dependencies');
  },
  logger: silentLogger,
});
const RUN = 'acme--20260101-000000-0123abcd';

describe('dashboard pages', () => {
  it.each([
    ['/', 'signin'],
    ['/runs', 'runs'],
    [`/runs/${RUN}`, 'run'],
    [`/runs/${RUN}/rounds/3/samples`, 'samples'],
  ])('%s is a shell for the page script, with a strict CSP', async (path, page) => {
    const res = await app.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "require-trusted-types-for 'script'"]) expect(csp).toContain(directive);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('set-cookie')).toBeNull();
    const html = await res.text();
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
    expect(html).toContain(`data-page="${page}"`);
    expect(html).toContain('<script src="/assets/dashboard.js" defer=""></script>');
    // No inline script or style, no URL of another origin.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<style|\sstyle="|\son[a-z]+="/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('labels every form control', async () => {
    const html = await (await app.request('/')).text();
    expect(html).toContain('<label for="api-key">API key</label>');
    expect(html).toContain('id="api-key"');
    const runs = await (await app.request('/runs')).text();
    expect(runs).toMatch(/<label for="page-size">Runs per page <select id="page-size">/);
  });

  it('answers an invalid run id or round with a 404 page, escaping nothing into it', async () => {
    for (const path of ['/runs/..%2F..%2Fsecret', '/runs/A<b>', `/runs/${RUN}/rounds/x/samples`, `/runs/${RUN}/rounds/10000/samples`]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await res.text();
      expect(html).toContain('data-page="not-found"');
      expect(html).not.toContain('<b>');
    }
  });

  it('serves the script, the stylesheet and the icon, none of which names another origin', async () => {
    const assets: [string, string, string][] = [
      ['/assets/dashboard.js', 'text/javascript; charset=utf-8', DASHBOARD_JS],
      ['/assets/dashboard.css', 'text/css; charset=utf-8', DASHBOARD_CSS],
      ['/assets/favicon.svg', 'image/svg+xml', FAVICON_SVG],
    ];
    for (const [path, type, body] of assets) {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(await res.text()).toBe(body);
      // The only absolute URL allowed is the SVG namespace (an identifier, never fetched).
      expect(body.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
    }
    expect(DASHBOARD_JS.length).toBeGreaterThan(1000);
    // Text reaches the DOM through textContent / Text nodes only.
    expect(DASHBOARD_JS).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('adds no dashboard header to the API', async () => {
    const res = await app.request('/health/live');
    expect(res.headers.get('content-security-policy')).toBeNull();
  });
});
