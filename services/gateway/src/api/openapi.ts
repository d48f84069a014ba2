/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the routes validate with
 * (z.toJSONSchema emits JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Served at
 * GET /openapi.json.
 */
import { z } from 'zod';
import { runConfigSchema } from '@sppo/core';
import {
  actionResultSchema,
  addPromptsBodySchema,
  addPromptsResultSchema,
  cancelBodySchema,
  errorBodySchema,
  healthSchema,
  limitErrorBodySchema,
  roundViewSchema,
  runCreatedSchema,
  runListSchema,
  runViewSchema,
  samplePageSchema,
  sessionSchema,
} from './schemas.ts';

function schema(s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });
const error = (description: string) => ({ description, ...jsonBody('Error') });

const runIdParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }, description: 'Run id as returned by POST /v1/runs.' };
// Operations that take no input still declare a client-error answer: clients generated from this
// document then type every error body (redocly's operation-4xx-response rule).
const CLIENT_ERROR = { '4XX': error('The request could not be taken (e.g. refused by the platform in front of the gateway); the common error shape.') };
const roundParam = { name: 't', in: 'path', required: true, schema: { type: 'integer', minimum: 0 }, description: '0-based round.' };
// 429s of the per-tenant limits (http/limits.ts): every /v1 call counts against its key's rate.
const tooMany = (description: string) => ({
  description,
  headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
  ...jsonBody('LimitError'),
});
const RATE_LIMITED = tooMany('rate_limit_exceeded: this API key made too many requests; retry after Retry-After seconds.');
const COMMON_ERRORS = {
  '400': error('Invalid id, query or body: `details.issues` lists every problem.'),
  '401': error('Missing or unknown API key.'),
  '404': error("No such run for this tenant (other tenants' runs are not found either)."),
  '429': RATE_LIMITED,
  '500': error('Internal error (logged with the request id).'),
};

export function buildOpenApiDocument({ version = '0.1.0' }: { version?: string } = {}): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'SPPO gateway',
      version,
      description:
        'Self-Play Preference Optimization (Wu et al. 2024, arXiv 2405.00675) as a service: submit a run config and its prompts; rounds of generate -> judge -> train then follow each other automatically until num_iterations checkpoints exist.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative: the gateway that serves this document (Workers or Node) is the server.
    servers: [{ url: '/', description: 'The gateway serving this document' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key listed (as its SHA-256) in SPPO_API_KEYS.' } },
      headers: {
        RetryAfter: {
          description: 'Seconds to wait before retrying (RFC 9110). Sent with rate_limit_exceeded and running_runs_limit_exceeded; not with prompts_per_run_limit_exceeded, which waiting cannot fix.',
          schema: { type: 'integer', minimum: 1 },
        },
      },
      schemas: {
        RunConfig: schema(runConfigSchema, 'input'),
        Error: schema(errorBodySchema, 'output'),
        LimitError: schema(limitErrorBodySchema, 'output'),
        RunCreated: schema(runCreatedSchema, 'output'),
        RunList: schema(runListSchema, 'output'),
        RunView: schema(runViewSchema, 'output'),
        RoundView: schema(roundViewSchema, 'output'),
        AddPrompts: schema(addPromptsBodySchema, 'input'),
        AddPromptsResult: schema(addPromptsResultSchema, 'output'),
        Cancel: schema(cancelBodySchema, 'input'),
        ActionResult: schema(actionResultSchema, 'output'),
        Health: schema(healthSchema, 'output'),
        SamplePage: schema(samplePageSchema, 'output'),
        Session: schema(sessionSchema, 'output'),
      },
    },
    paths: {
      '/v1/me': {
        get: {
          operationId: 'getSession',
          summary: 'The tenant of the API key (the dashboard signs in with it)',
          responses: { '200': { description: 'The key is valid.', ...jsonBody('Session') }, '401': COMMON_ERRORS['401'], '429': RATE_LIMITED, '500': COMMON_ERRORS['500'] },
        },
      },
      '/v1/runs': {
        post: {
          operationId: 'createRun',
          summary: 'Create a run and start its round 0',
          requestBody: { required: true, ...jsonBody('RunConfig') },
          responses: {
            '201': { description: 'Created; round 0 starts through the events queue.', ...jsonBody('RunCreated') },
            '400': error('Invalid config: `details.issues` lists every invalid field with its valid values.'),
            '401': COMMON_ERRORS['401'],
            '413': error('Body over the size limit.'),
            '415': error('Body is not application/json.'),
            '429': tooMany(
              'A per-tenant limit: running_runs_limit_exceeded (the tenant has its maximum of running runs; Retry-After 30 s), prompts_per_run_limit_exceeded (the pool would exceed the prompts per run; no Retry-After) or rate_limit_exceeded. Nothing is stored.',
            ),
            '503': error('Stored but not started (events queue unreachable): resume it later.'),
          },
        },
        get: {
          operationId: 'listRuns',
          summary: "The tenant's runs, oldest first, with their current round, stage, model and loss type",
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'next_cursor of the previous page.' },
          ],
          responses: { '200': { description: 'A page of runs.', ...jsonBody('RunList') }, '400': COMMON_ERRORS['400'], '401': COMMON_ERRORS['401'], '429': RATE_LIMITED },
        },
      },
      '/v1/runs/{id}': {
        get: {
          operationId: 'getRun',
          summary: 'State, current round and stage, shard progress, per-round metrics and timings, failures',
          parameters: [runIdParam],
          responses: { '200': { description: 'The run.', ...jsonBody('RunView') }, ...COMMON_ERRORS },
        },
      },
      '/v1/runs/{id}/rounds/{t}': {
        get: {
          operationId: 'getRound',
          summary: "A round's manifest, metrics (with the trainer's log_history) and links (S3 keys) to its shards and checkpoint",
          parameters: [runIdParam, roundParam],
          responses: { '200': { description: 'The round.', ...jsonBody('RoundView') }, ...COMMON_ERRORS },
        },
      },
      '/v1/runs/{id}/rounds/{t}/samples': {
        get: {
          operationId: 'listSamples',
          summary: "A page of the round's triplet rows (prompt, chosen, rejected, the K responses with their win rates), read from its S3 shards",
          parameters: [
            runIdParam,
            roundParam,
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 10 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'next_cursor of the previous page.' },
          ],
          responses: { '200': { description: 'A page of rows.', ...jsonBody('SamplePage') }, ...COMMON_ERRORS },
        },
      },
      '/v1/runs/{id}/prompts': {
        post: {
          operationId: 'addPrompts',
          summary: "Append prompts to the run's pool for later rounds",
          parameters: [runIdParam],
          requestBody: { required: true, ...jsonBody('AddPrompts') },
          responses: {
            '200': { description: 'Appended.', ...jsonBody('AddPromptsResult') },
            ...COMMON_ERRORS,
            '409': error('The run is completed.'),
            '429': tooMany('prompts_per_run_limit_exceeded (the pool would exceed the prompts per run; no Retry-After; nothing is appended) or rate_limit_exceeded.'),
          },
        },
      },
      '/v1/runs/{id}/cancel': {
        post: {
          operationId: 'cancelRun',
          summary: 'Stop starting new work',
          parameters: [runIdParam],
          requestBody: { required: false, ...jsonBody('Cancel') },
          responses: { '200': { description: 'Cancelled.', ...jsonBody('ActionResult') }, ...COMMON_ERRORS, '409': error('The run is completed.') },
        },
      },
      '/v1/runs/{id}/resume': {
        post: {
          operationId: 'resumeRun',
          summary: 'Continue a cancelled or failed run from what exists',
          parameters: [runIdParam],
          responses: {
            '202': { description: 'Resume requested.', ...jsonBody('ActionResult') },
            ...COMMON_ERRORS,
            '409': error('The run is running or completed.'),
            '429': tooMany('running_runs_limit_exceeded (a resumed run needs a running-runs slot; Retry-After 30 s) or rate_limit_exceeded.'),
          },
        },
      },
      '/health/live': {
        get: {
          operationId: 'getLiveness',
          summary: 'Liveness',
          security: [],
          responses: { '200': { description: 'Alive.', content: { 'application/health+json': { schema: ref('Health') } } }, ...CLIENT_ERROR },
        },
      },
      '/health/ready': {
        get: {
          operationId: 'getReadiness',
          summary: 'Readiness: configuration, S3 bucket and the four queues',
          security: [],
          responses: {
            '200': { description: 'Ready.', content: { 'application/health+json': { schema: ref('Health') } } },
            '503': { description: 'A check failed; it is named in `checks`.', content: { 'application/health+json': { schema: ref('Health') } } },
            ...CLIENT_ERROR,
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1.', content: { 'application/json': { schema: { type: 'object' } } } }, ...CLIENT_ERROR },
        },
      },
    },
  };
}
