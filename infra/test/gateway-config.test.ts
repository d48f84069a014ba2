// The gateway's deploy configuration: infra/wrangler.jsonc and the outputs -> vars mapping.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { DEFAULT_LIMITS, LIMIT_VARIABLES } from '../../services/gateway/src/http/limit-settings.ts';
import { GATEWAY_LIMIT_VARS, GATEWAY_SECRETS, GATEWAY_VAR_OUTPUTS, gatewayVarsFromOutputs, limitVarOverrides, stackOutputs, wranglerVarArgs } from '../src/gateway-vars.ts';
import { parseJsonc } from './jsonc.ts';

const INFRA = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface WranglerConfig {
  name: string;
  main: string;
  compatibility_date: string;
  compatibility_flags?: string[];
  vars: Record<string, string>;
  secrets: { required: string[] };
}

const config = parseJsonc(readFileSync(join(INFRA, 'wrangler.jsonc'), 'utf8')) as WranglerConfig;

test('wrangler.jsonc points at the gateway Workers entry with a compatibility date no later than 2026-08-01', () => {
  expect(config.main).toBe('../services/gateway/src/worker.ts');
  expect(existsSync(join(INFRA, config.main))).toBe(true);
  expect(config.compatibility_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(config.compatibility_date <= '2026-08-01').toBe(true);
});

test('the Worker declares every var the stack outputs feed and the limits, and requires the secrets by name only', () => {
  expect(Object.keys(config.vars).sort()).toEqual([...Object.keys(GATEWAY_VAR_OUTPUTS), ...Object.keys(GATEWAY_LIMIT_VARS)].sort());
  expect(config.secrets.required.sort()).toEqual([...GATEWAY_SECRETS].sort());
  for (const secret of GATEWAY_SECRETS) expect(config.vars).not.toHaveProperty(secret);
});

const outputsFile = {
  sppo: {
    BucketName: 'sppo-runsbucket-abc',
    Region: 'eu-west-1',
    QueueUrlGenerate: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sppo-generate',
    QueueUrlJudge: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sppo-judge',
    QueueUrlTrain: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sppo-train',
    QueueUrlEvents: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sppo-events',
    GatewayUserName: 'sppo-gatewayuser-XYZ',
  },
};

test('stack outputs become wrangler --var arguments', () => {
  const vars = gatewayVarsFromOutputs(stackOutputs(outputsFile));
  expect(vars).toEqual({
    SPPO_BUCKET: 'sppo-runsbucket-abc',
    SPPO_REGION: 'eu-west-1',
    SPPO_QUEUE_URL_GENERATE: outputsFile.sppo.QueueUrlGenerate,
    SPPO_QUEUE_URL_JUDGE: outputsFile.sppo.QueueUrlJudge,
    SPPO_QUEUE_URL_TRAIN: outputsFile.sppo.QueueUrlTrain,
    SPPO_QUEUE_URL_EVENTS: outputsFile.sppo.QueueUrlEvents,
  });
  // A URL's colons survive: wrangler splits NAME:VALUE at the first colon.
  expect(wranglerVarArgs({ SPPO_QUEUE_URL_EVENTS: outputsFile.sppo.QueueUrlEvents })).toEqual(['--var', `SPPO_QUEUE_URL_EVENTS:${outputsFile.sppo.QueueUrlEvents}`]);
});

test('missing outputs and ambiguous stacks are named', () => {
  const { QueueUrlJudge: _j, Region: _r, ...partial } = outputsFile.sppo;
  expect(() => gatewayVarsFromOutputs(partial)).toThrow(/lack Region, QueueUrlJudge/);
  expect(() => stackOutputs({ a: {}, b: {} })).toThrow(/stacks \[a, b\]/);
  expect(stackOutputs({ a: { X: '1' }, b: {} }, 'a')).toEqual({ X: '1' });
});

test("the limits' defaults in wrangler.jsonc are the gateway's own, and a deployer's SPPO_LIMIT_* become --var arguments", () => {
  for (const [field, { variable }] of Object.entries(LIMIT_VARIABLES)) {
    expect(config.vars[variable], variable).toBe(String(DEFAULT_LIMITS[field as keyof typeof DEFAULT_LIMITS]));
    expect(GATEWAY_LIMIT_VARS[variable as keyof typeof GATEWAY_LIMIT_VARS]).toBe(config.vars[variable]);
  }
  expect(limitVarOverrides({ SPPO_LIMIT_RUNNING_RUNS: '20', SPPO_LIMIT_REQUEST_BURST: ' ', PATH: '/bin' })).toEqual({ SPPO_LIMIT_RUNNING_RUNS: '20' });
  expect(() => limitVarOverrides({ SPPO_LIMIT_REQUESTS_PER_MINUTE: 'lots' })).toThrow(/SPPO_LIMIT_REQUESTS_PER_MINUTE="lots" is not a whole number/);
});
