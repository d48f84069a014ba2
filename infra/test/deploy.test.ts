// ./sppo deploy (packages/cli/src/commands/deploy.ts, owned with infra/): credentials are checked
// before anything runs; the dry run drives the real CDK and wrangler CLIs offline.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { deploy, missingDeployCredentials, spawnRunner, type CommandResult, type CommandRunner } from '../../packages/cli/src/commands/deploy.ts';
import { UsageError } from '../../packages/cli/src/errors.ts';
import { REPO_ROOT } from '../src/images.ts';

const made: string[] = [];
const tmp = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `sppo-deploy-${name}-`));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const CREDS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', CLOUDFLARE_API_TOKEN: 'token', PATH: process.env.PATH };

interface Call {
  command: string;
  args: string[];
}

/** Records every command; `handle` may answer one instead of the default exit 0. */
function recorder(handle: (call: Call) => Promise<CommandResult | undefined> | undefined = () => undefined) {
  const calls: Call[] = [];
  const run: CommandRunner = async (command, args) => {
    calls.push({ command, args });
    return (await handle({ command, args })) ?? { code: 0, stdout: '' };
  };
  return { run, calls };
}

const tool = (call: Call) => (call.args[0] ?? '').split('/').slice(-3).join('/');

describe('credential check', () => {
  test('nothing set: both missing, each with how to fix it', () => {
    const problems = missingDeployCredentials({}, tmp('home'));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/no AWS credentials: set AWS_ACCESS_KEY_ID \+ AWS_SECRET_ACCESS_KEY, or AWS_PROFILE/);
    expect(problems[1]).toMatch(/no CLOUDFLARE_API_TOKEN/);
  });

  test('an ~/.aws folder with a config counts as AWS credentials (profiles, SSO)', () => {
    const home = tmp('home');
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws/config'), '[default]\nregion = eu-west-1\n');
    expect(missingDeployCredentials({ CLOUDFLARE_API_TOKEN: 't' }, home)).toEqual([]);
  });

  test('half-set keys are named; a web identity role counts', () => {
    expect(missingDeployCredentials({ AWS_ACCESS_KEY_ID: 'x', CLOUDFLARE_API_TOKEN: 't' }, tmp('home'))[0]).toMatch(/half set/);
    expect(missingDeployCredentials({ AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', CLOUDFLARE_API_TOKEN: 't' }, tmp('home'))).toEqual([]);
  });
});

describe('deploy flow', () => {
  test('--help documents the steps, the flags and the credentials', async () => {
    const lines: string[] = [];
    expect(await deploy(['--help'], { log: (l) => lines.push(l) })).toBe(0);
    const help = lines.join('\n');
    for (const text of ['cdk deploy', 'wrangler deploy', '--dry-run', 'CLOUDFLARE_API_TOKEN', 'AWS_ACCESS_KEY_ID', 'wrangler secret put']) expect(help).toContain(text);
  });

  test('without credentials it refuses before running anything', async () => {
    const { run, calls } = recorder();
    const errors: string[] = [];
    const code = await deploy([], { env: { PATH: process.env.PATH }, home: tmp('home'), root: tmp('root'), run, log: () => {}, error: (l) => errors.push(l) });
    expect(code).toBe(1);
    expect(calls).toEqual([]);
    expect(errors.join('\n')).toMatch(/nothing was started[\s\S]*AWS[\s\S]*CLOUDFLARE_API_TOKEN/);
  });

  test('unknown arguments are usage errors listing the valid ones', async () => {
    await expect(deploy(['--force'], { log: () => {} })).rejects.toThrow(UsageError);
    await expect(deploy(['--force'], { log: () => {} })).rejects.toThrow(/Valid: --dry-run, --yes/);
    await expect(deploy(['-c', 'novalue'], { log: () => {} })).rejects.toThrow(/KEY=VALUE/);
  });

  test('a deploy runs cdk deploy, turns the outputs into Worker vars, then wrangler deploy', async () => {
    const outdir = tmp('out');
    const outputs = { team1: { BucketName: 'b', Region: 'eu-west-1', QueueUrlGenerate: 'https://q/g', QueueUrlJudge: 'https://q/j', QueueUrlTrain: 'https://q/t', QueueUrlEvents: 'https://q/e', GatewayUserName: 'gw-user' } };
    const { run, calls } = recorder(async (call) => {
      if (tool(call) === 'aws-cdk/bin/cdk') {
        const file = call.args[call.args.indexOf('--outputs-file') + 1]!;
        writeFileSync(file, JSON.stringify(outputs));
      }
      // The outputs -> vars script runs for real.
      if (call.args[0]?.endsWith('gateway-vars.ts')) return spawnRunner(call.command, call.args, { cwd: REPO_ROOT, env: process.env, capture: true });
      return undefined;
    });
    const lines: string[] = [];
    const secrets = join(tmp('secrets'), 'gateway.json');
    writeFileSync(secrets, JSON.stringify({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's', SPPO_API_KEYS: '[]' }));
    const code = await deploy(['--yes', '--prefix=team1', '-c', 'maxGeneratorTasks=8', `--outdir=${outdir}`, `--secrets-file=${secrets}`], { env: CREDS, home: tmp('home'), root: REPO_ROOT, run, log: (l) => lines.push(l), error: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    expect(calls.map(tool)).toEqual(['aws-cdk/bin/cdk', 'infra/src/gateway-vars.ts', 'wrangler/bin/wrangler.js']);
    const [cdk, , wrangler] = calls;
    expect(cdk!.args.slice(1, 3)).toEqual(['deploy', 'team1']);
    expect(cdk!.args.join(' ')).toContain('--require-approval never');
    expect(cdk!.args.join(' ')).toContain('-c prefix=team1 -c maxGeneratorTasks=8');
    expect(wrangler!.args.slice(1)).toEqual([
      'deploy', '--name', 'team1-gateway',
      '--var', 'SPPO_BUCKET:b', '--var', 'SPPO_REGION:eu-west-1',
      '--var', 'SPPO_QUEUE_URL_GENERATE:https://q/g', '--var', 'SPPO_QUEUE_URL_JUDGE:https://q/j',
      '--var', 'SPPO_QUEUE_URL_TRAIN:https://q/t', '--var', 'SPPO_QUEUE_URL_EVENTS:https://q/e',
      '--secrets-file', secrets,
    ]);
    expect(lines.at(-1)).toMatch(/done\. Stack team1, Worker team1-gateway/);
  });

  test('a missing secrets file is refused before anything runs', async () => {
    const { run, calls } = recorder();
    const errors: string[] = [];
    const code = await deploy(['--secrets-file=/nonexistent/sppo-secrets.json'], { env: CREDS, home: tmp('home'), root: REPO_ROOT, run, log: () => {}, error: (l) => errors.push(l) });
    expect(code).toBe(1);
    expect(calls).toEqual([]);
    expect(errors[0]).toContain('--secrets-file /nonexistent/sppo-secrets.json does not exist');
  });

  test('when the Worker deploy fails (first deploy without secrets) it says how to create the key and rerun', async () => {
    const outdir = tmp('out');
    const outputs = { sppo: { BucketName: 'b', Region: 'r', QueueUrlGenerate: 'g', QueueUrlJudge: 'j', QueueUrlTrain: 't', QueueUrlEvents: 'e', GatewayUserName: 'gw-user' } };
    const { run, calls } = recorder(async (call) => {
      if (tool(call) === 'aws-cdk/bin/cdk') writeFileSync(join(outdir, 'outputs.json'), JSON.stringify(outputs));
      if (call.args[0]?.endsWith('gateway-vars.ts')) return spawnRunner(call.command, call.args, { cwd: REPO_ROOT, env: process.env, capture: true });
      if (tool(call) === 'wrangler/bin/wrangler.js') return { code: 1, stdout: '' };
      return undefined;
    });
    const errors: string[] = [];
    expect(await deploy([`--outdir=${outdir}`], { env: CREDS, home: tmp('home'), root: REPO_ROOT, run, log: () => {}, error: (l) => errors.push(l) })).toBe(1);
    expect(calls.map(tool)).toEqual(['aws-cdk/bin/cdk', 'infra/src/gateway-vars.ts', 'wrangler/bin/wrangler.js']);
    expect(errors.join('\n')).toMatch(/aws iam create-access-key --user-name gw-user[\s\S]*--secrets-file=FILE/);
  });

  test('a failed cdk deploy stops before the Worker', async () => {
    const { run, calls } = recorder(async () => ({ code: 3, stdout: '' }));
    const errors: string[] = [];
    expect(await deploy([`--outdir=${tmp('out')}`], { env: CREDS, home: tmp('home'), root: REPO_ROOT, run, log: () => {}, error: (l) => errors.push(l) })).toBe(3);
    expect(calls.map(tool)).toEqual(['aws-cdk/bin/cdk']);
    expect(errors[0]).toMatch(/cdk deploy failed \(exit 3\); nothing after it was run/);
  });
});

describe('offline dry run with the real CLIs', () => {
  test('--dry-run: cdk synth writes the template and wrangler bundles the gateway, without credentials', async () => {
    const outdir = tmp('dry');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: tmp('home') };
    const lines: string[] = [];
    const code = await deploy(['--dry-run', `--outdir=${outdir}`], { env, root: REPO_ROOT, log: (l) => lines.push(l), error: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    const template = JSON.parse(readFileSync(join(outdir, 'sppo.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::SQS::Queue')).toHaveLength(8);
    const bundle = readFileSync(join(outdir, 'gateway-worker/worker.js'), 'utf8');
    expect(bundle).toContain('/health/live');
  });

  test('an invalid setting makes the CDK app exit 2 with every problem listed', () => {
    const result = spawnSync(process.execPath, ['src/app.ts'], {
      cwd: join(REPO_ROOT, 'infra'),
      env: { PATH: `${dirname(process.execPath)}:${process.env.PATH}`, CDK_OUTDIR: tmp('bad'), CDK_CONTEXT_JSON: JSON.stringify({ maxJudgeTasks: 0, prefix: 'X' }) },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/prefix: "X" is not valid[\s\S]*maxJudgeTasks: 0 is not valid/);
  });
});
