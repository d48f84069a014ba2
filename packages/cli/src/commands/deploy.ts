// `./sppo deploy`: the AWS stack (infra/, CDK) then the gateway Worker (infra/wrangler.jsonc).
// Credentials are checked before anything runs, and every missing one is named at once.
// The CDK and wrangler CLIs are the workspace's pinned ones (infra/node_modules), run with this
// Node 24; the stack's outputs become the Worker's vars through infra/src/gateway-vars.ts.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { workspaceRoot } from '../paths.ts';

export const DEPLOY_HELP = `Usage: ./sppo deploy [--dry-run] [--yes] [--bootstrap] [--prefix=NAME] [-c KEY=VALUE ...] [--secrets-file=FILE] [--outdir=DIR]

Deploys SPPO to your AWS account and Cloudflare account:
  1. cdk deploy      the run bucket, the queues + DLQs, the GPU services (ECS on EC2), the events
                     worker, alarms and the gateway's IAM user (infra/src, infra/cdk.json)
  2. wrangler deploy the gateway Worker (infra/wrangler.jsonc), its vars taken from the stack outputs

Options:
  --dry-run          only synthesize: cdk synth + wrangler deploy --dry-run (no credentials needed,
                     no network); outputs under --outdir
  --yes              do not ask to confirm IAM / security changes (cdk --require-approval never)
  --bootstrap        run cdk bootstrap first (once per account and region: it creates the bucket and
                     ECR repository CDK publishes the container images and Lambda code to)
  --prefix=NAME      name prefix of the stack, queues and Worker (default sppo; same as -c prefix=NAME)
  -c KEY=VALUE       a stack setting (repeatable), e.g. -c inferenceInstanceType=g5.xlarge
                     -c maxGeneratorTasks=8 -c alarmEmail=me@example.com; all keys in infra/cdk.json
  --secrets-file=FILE  the Worker's secrets (AWS_ACCESS_KEY_ID=..., AWS_SECRET_ACCESS_KEY=...,
                     SPPO_API_KEYS=... lines, or JSON), uploaded with it: needed on the first deploy,
                     since wrangler refuses a new Worker whose required secrets are not set. Keep the
                     file outside the repository.
  --outdir=DIR       where the cloud assembly and the Worker bundle go (default infra/cdk.out)

Needs (checked before anything runs, not for --dry-run):
  AWS credentials    AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, or AWS_PROFILE / ~/.aws (config or
                     credentials, SSO included), or a web identity / container role. The region
                     comes from AWS_REGION or the profile.
  CLOUDFLARE_API_TOKEN  an API token allowed to edit Workers (CLOUDFLARE_ACCOUNT_ID too when the
                     token sees several accounts).
  Docker             cdk deploy builds the service images (docker/Dockerfile).

First deploy (see infra/README.md): ./sppo deploy creates the stack, then stops at the Worker
because its secrets do not exist yet. Create the gateway's key and a secrets file, then rerun:
  aws iam create-access-key --user-name <GatewayUserName output>
  ./sppo deploy --secrets-file=FILE
Later deploys keep the secrets already set (or use wrangler secret put NAME, from infra/).`;

export interface CommandResult {
  code: number;
  stdout: string;
}

/** Runs one command; `capture` collects stdout instead of showing it. */
export type CommandRunner = (command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; capture?: boolean }) => Promise<CommandResult>;

export interface DeployDeps {
  env?: NodeJS.ProcessEnv;
  home?: string;
  root?: string;
  run?: CommandRunner;
  log?: (line: string) => void;
  error?: (line: string) => void;
}

export const spawnRunner: CommandRunner = (command, args, { cwd, env, capture = false }) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['inherit', capture ? 'pipe' : 'inherit', 'inherit'] });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout }));
  });

/** What is missing to deploy, one actionable line each (empty when ready). */
export function missingDeployCredentials(env: NodeJS.ProcessEnv, home: string): string[] {
  const problems: string[] = [];
  const has = (name: string) => typeof env[name] === 'string' && env[name] !== '';
  const awsDir = env.AWS_CONFIG_FILE || env.AWS_SHARED_CREDENTIALS_FILE ? undefined : join(home, '.aws');
  const awsFiles = [env.AWS_CONFIG_FILE, env.AWS_SHARED_CREDENTIALS_FILE, awsDir && join(awsDir, 'config'), awsDir && join(awsDir, 'credentials')];
  const awsFromEnv = has('AWS_ACCESS_KEY_ID') && has('AWS_SECRET_ACCESS_KEY');
  const awsFromRole = has('AWS_WEB_IDENTITY_TOKEN_FILE') || has('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI') || has('AWS_CONTAINER_CREDENTIALS_FULL_URI');
  const awsFromFiles = awsFiles.some((file) => typeof file === 'string' && file !== '' && existsSync(file));
  if (has('AWS_ACCESS_KEY_ID') !== has('AWS_SECRET_ACCESS_KEY')) {
    problems.push('AWS credentials are half set: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (to use a profile)');
  } else if (!awsFromEnv && !awsFromRole && !awsFromFiles) {
    problems.push('no AWS credentials: set AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/config (run `aws configure` or `aws sso login`)');
  }
  if (!has('CLOUDFLARE_API_TOKEN')) {
    problems.push('no CLOUDFLARE_API_TOKEN: create an API token with the "Edit Cloudflare Workers" template in the Cloudflare dashboard and export it');
  }
  return problems;
}

interface DeployOptions {
  dryRun: boolean;
  yes: boolean;
  bootstrap: boolean;
  context: string[];
  prefix: string;
  outdir: string | undefined;
  secretsFile: string | undefined;
}

export function parseDeployArgs(argv: string[]): DeployOptions | 'help' {
  const options: DeployOptions = { dryRun: false, yes: false, bootstrap: false, context: [], prefix: 'sppo', outdir: undefined, secretsFile: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    else if (arg === '--dry-run') options.dryRun = true;
    else if (arg === '--yes') options.yes = true;
    else if (arg === '--bootstrap') options.bootstrap = true;
    else if (arg.startsWith('--prefix=')) options.context.push(`prefix=${arg.slice('--prefix='.length)}`);
    else if (arg.startsWith('--outdir=')) options.outdir = arg.slice('--outdir='.length);
    else if (arg.startsWith('--secrets-file=')) options.secretsFile = resolve(arg.slice('--secrets-file='.length));
    else if (arg === '-c' || arg === '--context') {
      const value = argv[++i];
      if (value === undefined || !value.includes('=')) throw new UsageError(`${arg} needs KEY=VALUE, e.g. ${arg} maxGeneratorTasks=8`);
      options.context.push(value);
    } else if (arg.startsWith('--context=')) options.context.push(arg.slice('--context='.length));
    else throw new UsageError(`unknown argument ${arg}. Valid: --dry-run, --yes, --bootstrap, --prefix=NAME, -c KEY=VALUE, --secrets-file=FILE, --outdir=DIR, --help`);
  }
  for (const pair of options.context) {
    const [key, ...rest] = pair.split('=');
    if (!key || rest.length === 0) throw new UsageError(`stack setting "${pair}" is not KEY=VALUE`);
    if (key === 'prefix') options.prefix = rest.join('=');
  }
  return options;
}

export async function deploy(argv: string[], { env = process.env, home = homedir(), root = workspaceRoot(), run = spawnRunner, log = console.log, error = console.error }: DeployDeps = {}): Promise<number> {
  const parsed = parseDeployArgs(argv);
  if (parsed === 'help') {
    log(DEPLOY_HELP);
    return 0;
  }
  const { dryRun, yes, bootstrap, context, prefix, secretsFile } = parsed;

  if (!dryRun) {
    const problems = missingDeployCredentials(env, home);
    if (secretsFile !== undefined && !existsSync(secretsFile)) problems.push(`--secrets-file ${secretsFile} does not exist`);
    if (problems.length > 0) {
      error(`sppo deploy: cannot deploy, nothing was started:\n  - ${problems.join('\n  - ')}\n(./sppo deploy --dry-run synthesizes without credentials; ./sppo deploy --help for details)`);
      return 1;
    }
  }

  const infra = join(root, 'infra');
  const outdir = parsed.outdir ?? join(infra, 'cdk.out');
  mkdirSync(outdir, { recursive: true });
  const node = process.execPath;
  const cdk = join(infra, 'node_modules/aws-cdk/bin/cdk');
  const wrangler = join(infra, 'node_modules/wrangler/bin/wrangler.js');
  // cdk.json's "app" runs `node src/app.ts`: this Node 24 must come first on PATH.
  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    PATH: [dirname(node), env.PATH ?? ''].join(delimiter),
    CDK_DISABLE_CLI_TELEMETRY: env.CDK_DISABLE_CLI_TELEMETRY ?? 'true',
    WRANGLER_SEND_METRICS: env.WRANGLER_SEND_METRICS ?? 'false',
  };
  const contextArgs = context.flatMap((pair) => ['-c', pair]);
  const step = async (title: string, command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    log(`sppo deploy: ${title}`);
    const result = await run(command, args, { cwd: infra, env: { ...childEnv, ...extraEnv } });
    if (result.code !== 0) error(`sppo deploy: ${title} failed (exit ${result.code}); nothing after it was run`);
    return result.code;
  };
  const gatewayName = `${prefix}-gateway`;

  if (dryRun) {
    const offline = { CDK_DISABLE_CLI_TELEMETRY: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
    const synth = await step('cdk synth', node, [cdk, 'synth', '--no-notices', '--quiet', '--output', outdir, ...contextArgs], offline);
    if (synth !== 0) return synth;
    const bundleDir = join(outdir, 'gateway-worker');
    const bundle = await step('wrangler deploy --dry-run', node, [wrangler, 'deploy', '--dry-run', '--outdir', bundleDir, '--name', gatewayName], offline);
    if (bundle !== 0) return bundle;
    log(`sppo deploy: dry run done: template ${join(outdir, `${prefix}.template.json`)}, Worker bundle ${bundleDir}`);
    return 0;
  }

  if (bootstrap) {
    const code = await step('cdk bootstrap', node, [cdk, 'bootstrap', '--no-notices', ...contextArgs]);
    if (code !== 0) return code;
  }
  const outputsFile = join(outdir, 'outputs.json');
  const approval = yes ? ['--require-approval', 'never'] : [];
  const stack = await step('cdk deploy', node, [cdk, 'deploy', prefix, '--no-notices', '--output', outdir, '--outputs-file', outputsFile, ...approval, ...contextArgs]);
  if (stack !== 0) return stack;

  const vars = await run(node, [join(infra, 'src/gateway-vars.ts'), outputsFile, prefix], { cwd: infra, env: childEnv, capture: true });
  if (vars.code !== 0) {
    error(`sppo deploy: could not read the stack outputs from ${outputsFile} (exit ${vars.code}); the stack is deployed, the Worker is not`);
    return vars.code;
  }
  const varArgs = vars.stdout.split('\n').filter((line) => line !== '');
  const secretArgs = secretsFile === undefined ? [] : ['--secrets-file', secretsFile];
  const worker = await step('wrangler deploy', node, [wrangler, 'deploy', '--name', gatewayName, ...varArgs, ...secretArgs]);
  if (worker !== 0) {
    const user = gatewayUserName(outputsFile, prefix) ?? `<GatewayUserName in ${outputsFile}>`;
    error(`sppo deploy: the stack is deployed. If wrangler reported required secrets not set (a first deploy), create the gateway's key and rerun with them:
  aws iam create-access-key --user-name ${user}
  ./sppo deploy --secrets-file=FILE   (lines AWS_ACCESS_KEY_ID=..., AWS_SECRET_ACCESS_KEY=..., SPPO_API_KEYS=[...])`);
    return worker;
  }

  log(`sppo deploy: done. Stack ${prefix}, Worker ${gatewayName}. To change a secret later (from infra/): wrangler secret put NAME --name ${gatewayName}`);
  return 0;
}

function gatewayUserName(outputsFile: string, prefix: string): string | undefined {
  try {
    const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string> | undefined>;
    return outputs[prefix]?.GatewayUserName;
  } catch {
    return undefined;
  }
}

/** The `./sppo deploy` command (wired in commands.ts). */
export async function runDeploy(args: string[]): Promise<number> {
  return deploy(args);
}
