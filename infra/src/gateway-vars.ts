// How the stack's outputs become the gateway Worker's configuration. `cdk deploy --outputs-file f`
// writes { "<stack name>": { "<output>": "<value>" } }; this maps the outputs to the Worker vars the
// gateway reads (services/gateway: SPPO_BUCKET, SPPO_REGION, SPPO_QUEUE_URL_*), passed to
// `wrangler deploy --var NAME:VALUE`. Secrets never pass through here (see infra/README.md).
// The per-tenant limits (SPPO_LIMIT_*) are plain vars with their defaults in wrangler.jsonc; one set
// in the environment of the deploy is passed on as a --var too.
//
// As a script: node infra/src/gateway-vars.ts <outputs.json> [stack name]
//   prints the `--var NAME:VALUE` arguments, one per line (./sppo deploy runs it this way).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Output names of the stack (stack.ts) that the gateway consumes, and the var each one feeds. */
export const GATEWAY_VAR_OUTPUTS = {
  SPPO_BUCKET: 'BucketName',
  SPPO_REGION: 'Region',
  SPPO_QUEUE_URL_GENERATE: 'QueueUrlGenerate',
  SPPO_QUEUE_URL_JUDGE: 'QueueUrlJudge',
  SPPO_QUEUE_URL_TRAIN: 'QueueUrlTrain',
  SPPO_QUEUE_URL_EVENTS: 'QueueUrlEvents',
} as const;

export type GatewayVarName = keyof typeof GATEWAY_VAR_OUTPUTS;

/**
 * The gateway's per-tenant limits (services/gateway/src/http/limit-settings.ts) with the defaults
 * wrangler.jsonc declares: running runs per tenant, prompts per run, requests per minute and burst
 * per API key (an in-memory token bucket per Worker isolate); "0" switches a limit off.
 */
export const GATEWAY_LIMIT_VARS = {
  SPPO_LIMIT_RUNNING_RUNS: '10',
  SPPO_LIMIT_PROMPTS_PER_RUN: '100000',
  SPPO_LIMIT_REQUESTS_PER_MINUTE: '600',
  SPPO_LIMIT_REQUEST_BURST: '120',
} as const;

/** The limits set (to digits) in `env`, e.g. `SPPO_LIMIT_RUNNING_RUNS=20 ./sppo deploy`; anything else is named. */
export function limitVarOverrides(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(GATEWAY_LIMIT_VARS)) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    if (!/^\d+$/.test(value)) throw new Error(`${name}=${JSON.stringify(value)} is not a whole number (0 = no limit); default ${GATEWAY_LIMIT_VARS[name as keyof typeof GATEWAY_LIMIT_VARS]}`);
    out[name] = value;
  }
  return out;
}

/** The secrets the gateway Worker needs (`wrangler secret put NAME`); values never in files. */
export const GATEWAY_SECRETS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'SPPO_API_KEYS'] as const;

/** Pick the stack's outputs from an outputs file's content, naming what is missing. */
export function stackOutputs(file: unknown, stackName?: string): Record<string, string> {
  if (typeof file !== 'object' || file === null) throw new Error('outputs file is not a JSON object; write it with cdk deploy --outputs-file <file>');
  const stacks = Object.keys(file);
  const name = stackName ?? (stacks.length === 1 ? stacks[0] : undefined);
  if (name === undefined || !(name in file)) {
    throw new Error(`outputs file has stacks [${stacks.join(', ')}]; name the SPPO stack (its prefix, default "sppo")`);
  }
  return (file as Record<string, Record<string, string>>)[name] ?? {};
}

export function gatewayVarsFromOutputs(outputs: Record<string, string>): Record<GatewayVarName, string> {
  const missing: string[] = [];
  const vars = {} as Record<GatewayVarName, string>;
  for (const [name, output] of Object.entries(GATEWAY_VAR_OUTPUTS) as [GatewayVarName, string][]) {
    const value = outputs[output];
    if (typeof value !== 'string' || value === '') missing.push(output);
    else vars[name] = value;
  }
  if (missing.length > 0) throw new Error(`stack outputs lack ${missing.join(', ')}; was the stack deployed from this version of infra/?`);
  return vars;
}

/** `--var NAME:VALUE` arguments for wrangler deploy. */
export function wranglerVarArgs(vars: Record<string, string>): string[] {
  return Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, stackName] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node infra/src/gateway-vars.ts <outputs.json> [stack name]');
    process.exit(2);
  }
  const vars = gatewayVarsFromOutputs(stackOutputs(JSON.parse(readFileSync(file, 'utf8')), stackName));
  console.log(wranglerVarArgs({ ...vars, ...limitVarOverrides(process.env) }).join('\n'));
}
