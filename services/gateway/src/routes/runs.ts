// The run API under /v1 (authenticated; every run scoped to the caller's tenant).
import { Hono } from 'hono';
import { ValidationError, toValidationIssues } from '@sppo/core';
import type { z } from 'zod';
import { addPromptsBodySchema, cancelBodySchema, listQuerySchema, sampleQuerySchema } from '../api/schemas.ts';
import type { GatewayEnv } from '../http/context.ts';
import { readJsonBody } from '../http/middleware.ts';
import { addPrompts, cancelRun, resumeRun } from '../runs/actions.ts';
import { loadOwnedRun, parseRoundParam } from '../runs/access.ts';
import { createRun } from '../runs/create.ts';
import { listSamples } from '../runs/samples.ts';
import { buildRoundView, buildRunView, listRuns } from '../runs/view.ts';

function validate<S extends z.ZodType>(schema: S, value: unknown, subject: string): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw new ValidationError(subject, toValidationIssues(result.error.issues, schema));
  return result.data;
}

export function runRoutes(): Hono<GatewayEnv> {
  const runs = new Hono<GatewayEnv>();

  runs.post('/', async (c) => {
    const created = await createRun(await readJsonBody(c), c.get('tenant'), c.get('deps'));
    return c.json(created, 201, { location: created.links.self });
  });

  runs.get('/', async (c) => {
    const query = validate(listQuerySchema, c.req.query(), 'query');
    return c.json(await listRuns(c.get('deps').store, c.get('tenant'), query), 200);
  });

  runs.get('/:id', async (c) => {
    const { store } = c.get('deps');
    const record = await loadOwnedRun(store, c.req.param('id'), c.get('tenant'));
    return c.json(await buildRunView(store, record), 200);
  });

  runs.get('/:id/rounds/:round', async (c) => {
    const { store } = c.get('deps');
    const record = await loadOwnedRun(store, c.req.param('id'), c.get('tenant'));
    return c.json(await buildRoundView(store, record, parseRoundParam(c.req.param('round'))), 200);
  });

  runs.get('/:id/rounds/:round/samples', async (c) => {
    const { store } = c.get('deps');
    const record = await loadOwnedRun(store, c.req.param('id'), c.get('tenant'));
    const round = parseRoundParam(c.req.param('round'));
    const query = validate(sampleQuerySchema, c.req.query(), 'query');
    return c.json(await listSamples(store, record, round, query), 200);
  });

  runs.post('/:id/prompts', async (c) => {
    const deps = c.get('deps');
    const record = await loadOwnedRun(deps.store, c.req.param('id'), c.get('tenant'));
    const body = validate(addPromptsBodySchema, await readJsonBody(c), 'request body');
    return c.json(await addPrompts(record, body.prompts, deps), 200);
  });

  runs.post('/:id/cancel', async (c) => {
    const deps = c.get('deps');
    const record = await loadOwnedRun(deps.store, c.req.param('id'), c.get('tenant'));
    // The body is optional: none, or { "reason": "..." }.
    const raw = await readJsonBody(c, { optional: true });
    const body = raw === undefined ? {} : validate(cancelBodySchema, raw, 'request body');
    return c.json(await cancelRun(record, body.reason, deps), 200);
  });

  runs.post('/:id/resume', async (c) => {
    const deps = c.get('deps');
    const record = await loadOwnedRun(deps.store, c.req.param('id'), c.get('tenant'));
    return c.json(await resumeRun(record, deps), 202);
  });

  return runs;
}
