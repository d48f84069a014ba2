// Node entry: the same app as on Workers, its settings from process.env, served by
// @hono/node-server.  node services/gateway/src/node.ts  (SPPO_GATEWAY_PORT, SPPO_GATEWAY_HOST)
import { listenHttp } from '@sppo/cloud';
import { createApp, type AppOptions } from './app.ts';
import { depsFromEnv } from './deps.ts';
import { createConsoleLogger } from './ports.ts';

export interface GatewayServer {
  url: string;
  close(): Promise<void>;
}

export interface StartGatewayOptions extends AppOptions {
  port?: number;
  /** Loopback by default; set 0.0.0.0 deliberately to expose it. */
  hostname?: string;
  env?: Record<string, string | undefined>;
}

/** Starts the gateway on Node; the configuration is validated first (throws GatewayConfigError). */
export async function startGatewayServer({
  port = 8787,
  hostname = '127.0.0.1',
  env = process.env,
  logger = createConsoleLogger('gateway', (_level, line) => process.stderr.write(`${line}\n`)),
  ...appOptions
}: StartGatewayOptions = {}): Promise<GatewayServer> {
  const deps = appOptions.resolveDeps === undefined ? depsFromEnv(env, { logger }) : undefined;
  const app = createApp({ ...appOptions, logger, ...(deps === undefined ? {} : { resolveDeps: () => deps }) });
  const { url, close } = await listenHttp(app.fetch, { port, hostname });
  return { url, close };
}

if (import.meta.main) {
  const portText = process.env.SPPO_GATEWAY_PORT ?? '8787';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`SPPO_GATEWAY_PORT=${JSON.stringify(portText)} is not a port number (0-65535)`);
    process.exit(2);
  }
  try {
    const server = await startGatewayServer({ port, hostname: process.env.SPPO_GATEWAY_HOST ?? '127.0.0.1' });
    console.log(server.url);
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
