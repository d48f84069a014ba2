// `./sppo up`: the whole system on loopback, no cloud account (local-stack.ts): the S3 + SQS
// emulator, the gateway and the events worker in this process, one process per stage service,
// every log on this terminal with its service's name. Prints the gateway URL, the dashboard's URL
// (signed in with the key) and an API key, then runs until Ctrl-C.
import { resolve } from 'node:path';
import { createLogger } from '@sppo/cloud';
import { parseArgs, rejectUnknown } from '../args.ts';
import { UsageError } from '../errors.ts';
import { startLocalStack } from '../local-stack.ts';
import { workspaceRoot } from '../paths.ts';

const USAGE = './sppo up [--port=8787] [--emulator-port=4566] [--data-dir=.data/emulator] [--tenant=local] [--api-key=KEY]';
const OPTIONS = ['port', 'emulator-port', 'data-dir', 'tenant', 'api-key'];

function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new UsageError(`--${name} must be a port number (0-65535, 0 = any free port), got ${JSON.stringify(value)}`);
  return port;
}

export async function runUp(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.flags.size > 0 || args.positionals.length > 0) throw new UsageError(`unexpected arguments. Usage: ${USAGE}`);
  rejectUnknown(args, OPTIONS);
  const dataDir = resolve(workspaceRoot(), args.options.get('data-dir') ?? '.data/emulator');
  const apiKey = args.options.get('api-key') ?? process.env.SPPO_API_KEY;
  const stack = await startLocalStack({
    dataDir,
    port: portOption(args.options.get('port'), 'port', 8787),
    emulatorPort: portOption(args.options.get('emulator-port'), 'emulator-port', 4566),
    tenant: args.options.get('tenant') ?? 'local',
    ...(apiKey === undefined ? {} : { apiKey }),
    missingService: 'warn',
  });

  console.log(`gateway   ${stack.gatewayUrl}   (OpenAPI: ${stack.gatewayUrl}/openapi.json)`);
  console.log(`dashboard ${stack.dashboardUrl}   (signs in with the key below)`);
  console.log(`emulator  ${stack.emulatorEndpoint}   (state in ${dataDir})`);
  console.log(`tenant    ${stack.tenant}`);
  console.log(`export SPPO_GATEWAY_URL=${stack.gatewayUrl} SPPO_API_KEY=${stack.apiKey}`);
  console.log('then: ./sppo run recipe.yaml   (Ctrl-C stops everything)');

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  createLogger({ service: 'up' }).info('up.stopping', {});
  await stack.close();
  return 0;
}
