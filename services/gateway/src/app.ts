// The gateway's Hono app, runtime-agnostic: the Workers entry (worker.ts) and the Node entry
// wrap this same app. The run API (issue "Gateway and automation") grows here.
import { Hono } from 'hono';

export function createApp(): Hono {
  const app = new Hono();
  app.get('/health/live', (c) => c.json({ status: 'pass' }, 200, { 'content-type': 'application/health+json' }));
  return app;
}
