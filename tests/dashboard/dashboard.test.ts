/**
 * The dashboard in a real browser (issue 19): headless Chromium (@sparticuz/chromium, driven by
 * puppeteer-core) against the real local stack of `./sppo up` (emulator, gateway over HTTP, events
 * worker, generator, judge and trainer processes) with a real completed 2-round run, a long run to
 * cancel and resume, and another tenant's run. Every page is checked for console errors and failed
 * requests, its controls for labels, and saved as a screenshot under test-results/dashboard/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import chromium from '@sparticuz/chromium';
import { createApiClient, unwrap, type ApiClient } from '@sppo/gateway';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runInitModel } from '../../packages/cli/src/commands/init-model.ts';
import { startLocalStack, type LocalStack } from '../../packages/cli/src/local-stack.ts';
import { reportFigures } from '../helpers/figures.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = join(ROOT, 'test-results', 'dashboard');
const KEYS = { acme: 'sk-dashboard-acme-0123456789', globex: 'sk-dashboard-globex-0123456789' };
const XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';
const SETUP_MS = 90_000;
const UI_MS = 20_000;

let work: string;
let stack: LocalStack;
let browser: Browser;
let page: Page;
let acme: ApiClient;
let completedRun: string;
let longRun: string;
let foreignRun: string;
let failedRun: string;
/** Console errors, page errors and failed requests since the last check(). */
let problems: string[] = [];
let screenshots = 0;

function runConfig(model: string, { rounds, prompts }: { rounds: number; prompts: string[] }) {
  return {
    model_name_or_path: model,
    judge_model: 'rule:length',
    num_iterations: rounds,
    prompts_per_iteration: 6,
    prompts_per_shard: 2,
    samples_per_prompt: 3,
    max_new_tokens: 6,
    temperature: 1,
    optim: 'adamw' as const,
    learning_rate: 0.001,
    warmup_ratio: 0,
    beta: 0.1,
    per_device_train_batch_size: 2,
    max_length: 48,
    max_prompt_length: 24,
    prompts,
  };
}

async function waitForStatus(api: ApiClient, id: string, status: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await unwrap(api.GET('/v1/runs/{id}', { params: { path: { id } } }), 'GET run');
    if (view.status === status) return;
    if (Date.now() > deadline) throw new Error(`run ${id} is ${view.status} (round ${view.current_round}, ${view.stage}), not ${status}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Goes to `path` (same tab: sessionStorage stays) and waits for the page's script to settle. */
async function visit(path: string): Promise<void> {
  await page.goto(`${stack.gatewayUrl}${path}`, { waitUntil: 'networkidle0' });
}

/** Asserts no problem except those matching `expected` (each must occur), then clears the list. */
function check(where: string, expected: RegExp[] = []): void {
  const unexpected = problems.filter((p) => !expected.some((re) => re.test(p)));
  expect(unexpected, `${where}: console errors or failed requests`).toEqual([]);
  for (const re of expected) expect(problems.some((p) => re.test(p)), `${where}: expected ${re}`).toBe(true);
  problems = [];
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  screenshots += 1;
}

/** Every visible control has an accessible name: a label, aria-label or text. */
async function unlabelledControls(): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea, button, a[href]'))
      .filter((node) => node.offsetParent !== null || node === document.activeElement)
      .filter((node) => {
        const labels = (node as HTMLInputElement).labels;
        const named = (labels !== undefined && labels !== null && labels.length > 0) || (node.getAttribute('aria-label') ?? '') !== '' || (node.textContent ?? '').trim() !== '';
        return !named;
      })
      .map((node) => node.outerHTML.slice(0, 120)),
  );
}

const text = (selector: string): Promise<string> => page.$eval(selector, (node) => (node.textContent ?? '').trim());

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sppo-dashboard-'));
  await mkdir(SCREENSHOTS, { recursive: true });
  const base = join(work, 'base');
  const [launched] = await Promise.all([
    chromium.executablePath().then((executablePath) => puppeteer.launch({ args: chromium.args, executablePath, headless: true })),
    runInitModel(['--out', base, '--preset', 'tiny', '--seed', '7']).then((code) => expect(code).toBe(0)),
  ]);
  browser = launched;
  stack = await startLocalStack({
    dataDir: join(work, 'emulator'),
    logDir: join(work, 'logs'),
    cacheDir: join(work, 'cache'),
    tenant: 'acme',
    apiKey: KEYS.acme,
    otherTenants: [{ tenant: 'globex', apiKey: KEYS.globex }],
    queuePrefix: 'dashboard',
  });
  acme = createApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEYS.acme });
  const globex = createApiClient({ baseUrl: stack.gatewayUrl, apiKey: KEYS.globex });

  const prompts = [XSS, ...Array.from({ length: 11 }, (_, i) => `Question ${i}: name a colour.`)];
  // Evaluated (issue 21) on two prompts of its own, so the run page has its evaluation table and chart.
  const evalPrompts = ['Eval 0: name a colour.', 'Eval 1: name a fruit.'];
  completedRun = (await unwrap(acme.POST('/v1/runs', { body: { ...runConfig(base, { rounds: 2, prompts }), eval_prompts: evalPrompts } }), 'create')).run_id;
  foreignRun = (await unwrap(globex.POST('/v1/runs', { body: runConfig(base, { rounds: 1, prompts: prompts.slice(1, 7) }) }), 'create globex')).run_id;
  await unwrap(globex.POST('/v1/runs/{id}/cancel', { params: { path: { id: foreignRun } } }), 'cancel globex');
  // A base model that does not exist: the generator fails its units for good, the run fails.
  failedRun = (await unwrap(acme.POST('/v1/runs', { body: runConfig(join(work, 'no-such-model'), { rounds: 1, prompts: prompts.slice(1, 7) }) }), 'create failing')).run_id;
  await waitForStatus(acme, completedRun, 'completed');
  // Long enough never to finish during the test: it is cancelled (and resumed, and cancelled) from its page.
  longRun = (await unwrap(acme.POST('/v1/runs', { body: runConfig(base, { rounds: 40, prompts: Array.from({ length: 240 }, (_, i) => `Long ${i}`) }) }), 'create long')).run_id;

  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${(error as Error).message}`));
  page.on('requestfailed', (request) => problems.push(`requestfailed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
  console.log(`dashboard screenshots: ${SCREENSHOTS}`);
}, SETUP_MS);

afterAll(async () => {
  if (longRun !== undefined) await acme?.POST('/v1/runs/{id}/cancel', { params: { path: { id: longRun } } }).catch(() => undefined);
  await browser?.close();
  await stack?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
  reportFigures('dashboard', { screenshots, console_errors_unexpected: problems.length });
});

test('sign in with the keyboard: a wrong key is refused, the right one opens the runs', async () => {
  const res = await fetch(`${stack.gatewayUrl}/`);
  expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(res.headers.get('set-cookie')).toBeNull();

  await visit('/');
  check('sign-in page');
  expect(await unlabelledControls()).toEqual([]);
  // The key field has the focus; Tab goes on to the button.
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key');
  await page.keyboard.type('sk-not-a-key');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /refused/.test(document.getElementById('message')?.textContent ?? ''), { timeout: UI_MS });
  expect(await text('#message')).toMatch(/That API key was refused \(HTTP 401\)/);
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  await screenshot('1-sign-in-refused');
  check('wrong key', [/HTTP 401 .*\/v1\/me$/, /console: Failed to load resource: .*401/]);

  await page.$eval('#api-key', (node) => ((node as HTMLInputElement).value = ''));
  await page.focus('#api-key');
  await page.keyboard.type(KEYS.acme);
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.keyboard.press('Enter')]);
  expect(new URL(page.url()).pathname).toBe('/runs');
  check('after sign-in');
});

test('runs: only the tenant own runs, with status, round, stage, created, model and loss type', async () => {
  await page.waitForSelector('#runs-table tbody tr', { timeout: UI_MS });
  const rows = await page.$$eval('#runs-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));
  // The list is in run-id order (the API pages the S3 listing); runs created in the same second
  // order by their random suffix, not by creation.
  expect(rows.map((r) => r[0])).toEqual([completedRun, failedRun, longRun].sort());
  const row = (id: string) => rows.find((r) => r[0] === id);
  expect(row(completedRun)).toEqual([completedRun, 'completed', '2/2', 'done', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/), expect.stringContaining('base'), 'sppo']);
  expect(row(longRun)?.[1]).toBe('running');
  expect(JSON.stringify(rows)).not.toContain(foreignRun);
  expect(await text('#tenant')).toBe('Tenant acme');
  expect(await unlabelledControls()).toEqual([]);
  await screenshot('2-runs');
  check('runs page');
});

test('run: config, rounds with judge and training metrics, timings, the evaluation table, and four charts with marks', async () => {
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click(`a[href="/runs/${completedRun}"]`)]);
  await page.waitForSelector('#chart-loss svg .mark', { timeout: UI_MS });
  for (const chart of ['chart-loss', 'chart-winrate', 'chart-length', 'chart-eval']) {
    const marks = await page.$$eval(`#${chart} svg .mark`, (nodes) => nodes.length);
    expect(marks, chart).toBeGreaterThan(1);
  }
  expect(await text('#overview-list')).toContain('completed');
  const judge = await page.$$eval('#judge-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));
  expect(judge).toHaveLength(2);
  for (const row of judge) expect(row.slice(1, 9).every((cell) => cell !== '–'), `judge metrics ${row.join(' | ')}`).toBe(true);
  const evaluation = await page.$$eval('#eval-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));
  expect(evaluation.map((row) => row.slice(0, 2))).toEqual([
    ['0', 'pi_1'],
    ['1', 'pi_2'],
  ]);
  for (const row of evaluation) expect(row.slice(2, 6).every((cell) => /^\d+\.\d% \[\d+\.\d%, \d+\.\d%\]$/.test(cell)), `evaluation ${row.join(' | ')}`).toBe(true);
  const train = await page.$$eval('#train-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));
  for (const row of train) expect(row.slice(1, 11).every((cell) => cell !== '–'), `training metrics ${row.join(' | ')}`).toBe(true);
  const progress = await page.$$eval('#progress-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));
  for (const row of progress) expect(row[8], `total time of round ${row[0]}`).toMatch(/s|min/);
  expect(await text('#config')).toContain('samples_per_prompt');
  expect(await text('#failures-list')).toBe('No failed units.');
  expect(await page.$eval('#cancel-run', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
  expect(await unlabelledControls()).toEqual([]);
  await screenshot('3-run-completed');
  await (await page.$('#charts'))?.screenshot({ path: join(SCREENSHOTS, '3b-run-charts.png') });
  check('run page');
});

test('samples: paged through the API, chosen and rejected side by side, an XSS prompt stays text', async () => {
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click(`a[href="/runs/${completedRun}/rounds/0/samples"]`)]);
  await page.waitForSelector('#samples article', { timeout: UI_MS });
  expect(await page.$$eval('#samples > li', (items) => items.length)).toBe(5);
  expect(await text('#page-label')).toBe('Page 1: rows 1–5');
  const first = await page.$eval('#samples article', (node) => ({
    prompt: node.querySelector('pre.text')?.textContent,
    chosen: node.querySelector('section.chosen .prob')?.textContent,
    rejected: node.querySelector('section.rejected .prob')?.textContent,
    responses: node.querySelectorAll('table tbody tr').length,
  }));
  expect(first.prompt).toBe(XSS);
  expect(first.chosen).toMatch(/^chosen_probs_win 0?\.\d+|^chosen_probs_win [01]$/);
  expect(first.rejected).toMatch(/^chosen_probs_lose /);
  expect(first.responses).toBe(3);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.$$eval('#samples img, #samples script', (nodes) => nodes.length)).toBe(0);
  expect(await unlabelledControls()).toEqual([]);
  await screenshot('4-samples-page-1');

  await page.focus('#next-page');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('page-label')?.textContent === 'Page 2: rows 6–6', { timeout: UI_MS });
  expect(await page.$eval('#next-page', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
  await screenshot('5-samples-page-2');
  await page.click('#prev-page');
  await page.waitForFunction(() => document.getElementById('page-label')?.textContent === 'Page 1: rows 1–5', { timeout: UI_MS });
  check('samples page');
});

test('cancel and resume a running run from its page', async () => {
  await visit(`/runs/${longRun}`);
  await page.waitForFunction(() => !(document.getElementById('cancel-run') as HTMLButtonElement).disabled, { timeout: UI_MS });
  expect(await text('#overview-list .badge')).toBe('running');
  await page.focus('#cancel-run');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#overview-list .badge')?.textContent === 'cancelled', { timeout: UI_MS });
  expect(await text('#action-result')).toMatch(/^cancelled/);
  expect(await page.$eval('#resume-run', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
  await screenshot('6-run-cancelled');

  await page.click('#resume-run');
  await page.waitForFunction(() => document.querySelector('#overview-list .badge')?.textContent === 'running', { timeout: UI_MS });
  await page.waitForFunction(() => !(document.getElementById('cancel-run') as HTMLButtonElement).disabled, { timeout: UI_MS });
  await page.click('#cancel-run');
  await page.waitForFunction(() => document.querySelector('#overview-list .badge')?.textContent === 'cancelled', { timeout: UI_MS });
  const view = await unwrap(acme.GET('/v1/runs/{id}', { params: { path: { id: longRun } } }), 'GET long run');
  expect(view.status).toBe('cancelled');
  check('cancel and resume');
});

test('a failed run shows its failures with their reasons', async () => {
  await waitForStatus(acme, failedRun, 'failed', 30_000);
  await visit(`/runs/${failedRun}`);
  await page.waitForSelector('#failures-list ul.failures li', { timeout: UI_MS });
  expect(await text('#overview-list .badge')).toBe('failed');
  const failures = await page.$$eval('#failures-list li', (items) => items.map((li) => (li.textContent ?? '').trim()));
  expect(failures.length).toBeGreaterThan(0);
  expect(failures[0]).toMatch(/^generate, round 0, shard \d+: .*no-such-model/);
  expect(await page.$eval('#resume-run', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
  await screenshot('8-run-failed');
  check('failed run');
});

test("another tenant's run is not found; sign out; the sign-in link of ./sppo up", async () => {
  await visit(`/runs/${foreignRun}`);
  await page.waitForFunction(() => /not found/.test(document.getElementById('message')?.textContent ?? ''), { timeout: UI_MS });
  expect(await text('#message')).toContain(`Run ${foreignRun} not found`);
  expect(await page.$eval('#run-body', (node) => (node as HTMLElement).hidden)).toBe(true);
  await screenshot('7-foreign-run-not-found');
  check('foreign run', [new RegExp(`HTTP 404 .*/v1/runs/${foreignRun}$`), /console: Failed to load resource: .*404/]);

  await page.click('#sign-out');
  await page.waitForFunction(() => location.pathname === '/', { timeout: UI_MS });
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  await visit('/runs');
  expect(new URL(page.url()).pathname).toBe('/');
  expect(await text('#message')).toMatch(/Sign in with your API key/);
  check('signed out');

  // The link `./sppo up` prints signs in with the key in the fragment, which leaves the address bar.
  expect(stack.dashboardUrl).toBe(`${stack.gatewayUrl}/#key=${KEYS.acme}`);
  await page.goto(stack.dashboardUrl);
  await page.waitForFunction(() => location.pathname === '/runs' && document.querySelectorAll('#runs-table tbody tr').length > 0, { timeout: UI_MS });
  expect(page.url()).not.toContain(KEYS.acme);
  check('sign-in link');
});
