import { expect, test } from 'vitest';
import { createApp } from './app.ts';

test('GET /health/live answers pass as application/health+json', async () => {
  const res = await createApp().request('/health/live');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/health+json');
  expect(await res.json()).toEqual({ status: 'pass' });
});
