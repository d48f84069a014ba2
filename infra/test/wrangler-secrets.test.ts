// The gateway Worker's secrets only through `wrangler secret put NAME` (or `wrangler deploy
// --secrets-file FILE` on the first deploy), never as vars in wrangler.jsonc: vars are plain text
// in the repository, in the bundle's metadata and in the Cloudflare dashboard.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { parseJsonc } from './jsonc.ts';
import { secretLike } from './secret-like.ts';

const INFRA = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const text = readFileSync(join(INFRA, 'wrangler.jsonc'), 'utf8');

interface VarsHolder {
  vars?: Record<string, unknown>;
}
interface WranglerConfig extends VarsHolder {
  env?: Record<string, VarsHolder>;
  secrets?: { required?: string[] };
}

/** Every var of the top level and of each `env.<name>`, as [where, name, value]. */
function allVars(config: WranglerConfig): [string, string, unknown][] {
  const holders: [string, VarsHolder][] = [['vars', config], ...Object.entries(config.env ?? {}).map(([env, h]): [string, VarsHolder] => [`env.${env}.vars`, h])];
  return holders.flatMap(([where, h]) => Object.entries(h.vars ?? {}).map(([name, value]): [string, string, unknown] => [where, name, value]));
}

function secretLookingVars(config: WranglerConfig): string[] {
  return allVars(config).flatMap(([where, name, value]) => {
    const why = secretLike(name, typeof value === 'string' ? value : JSON.stringify(value));
    return why ? [`${where}.${name}: ${why}; set it with \`wrangler secret put ${name}\` and remove it from wrangler.jsonc`] : [];
  });
}

test('no var in wrangler.jsonc looks like a secret, by its name or its value', () => {
  const config = parseJsonc(text) as WranglerConfig;
  expect(allVars(config).length).toBeGreaterThan(5);
  expect(secretLookingVars(config)).toEqual([]);
});

test('the secrets are declared by name only, and documented as `wrangler secret put NAME`', () => {
  const config = parseJsonc(text) as WranglerConfig;
  const required = config.secrets?.required ?? [];
  expect(required.length).toBeGreaterThan(0);
  expect(text).toContain('wrangler secret put NAME');
  const comments = text.split('\n').filter((line) => line.trim().startsWith('//')).join('\n');
  const readme = readFileSync(join(INFRA, 'README.md'), 'utf8');
  for (const name of required) {
    expect(comments, `${name} in the comments of wrangler.jsonc`).toContain(name);
    expect(readme, `${name} in infra/README.md`).toContain(name);
  }
  expect(readme).toContain('wrangler secret put NAME');
});

test('a secret-looking var is caught: by name, AWS key, random string, hex key, password in a URL, in an env section too', () => {
  const config: WranglerConfig = {
    vars: {
      SPPO_REGION: 'eu-west-1',
      SPPO_API_TOKEN: '',
      SPPO_UPSTREAM: 'AKIAIOSFODNN7EXAMPLE',
      SPPO_SIGNING: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      SPPO_DIGEST: 'a3f1c2d4e5b6a7980f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4e5f60718',
      SPPO_DB: 'postgres://sppo:hunter2@db.example.com/sppo',
    },
    env: { staging: { vars: { AWS_SECRET_ACCESS_KEY: 'x' } } },
  };
  const found = secretLookingVars(config);
  expect(found.map((f) => f.slice(0, f.indexOf(':')))).toEqual([
    'vars.SPPO_API_TOKEN',
    'vars.SPPO_UPSTREAM',
    'vars.SPPO_SIGNING',
    'vars.SPPO_DIGEST',
    'vars.SPPO_DB',
    'env.staging.vars.AWS_SECRET_ACCESS_KEY',
  ]);
  expect(found[0]).toContain('wrangler secret put SPPO_API_TOKEN');
});

test('plain settings are not mistaken for secrets', () => {
  for (const [name, value] of [
    ['SPPO_QUEUE_URL_GENERATE', 'https://sqs.eu-west-1.amazonaws.com/123456789012/sppo-generate'],
    ['SPPO_BUCKET', 'sppo-runsbucket-e0e5118e1a2b3c4d'],
    ['SPPO_REGION', 'ap-southeast-2'],
    ['SPPO_LIMIT_PROMPTS_PER_RUN', '100000'],
    ['SPPO_MODEL', 'models/Qwen3-0.6B-Instruct-2507/onnx'],
  ]) {
    expect(secretLike(name!, value), `${name}=${value}`).toBeUndefined();
  }
});

test('JSONC: comments and trailing commas go, a // inside a string stays', () => {
  const parsed = parseJsonc('{\n  // a comment\n  "url": "https://x.example/a//b", /* block */\n  "list": [1, 2,],\n}\n');
  expect(parsed).toEqual({ url: 'https://x.example/a//b', list: [1, 2] });
  expect(() => parseJsonc('{ /* never closed ')).toThrow(/unterminated/);
});
