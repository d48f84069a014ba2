// The OpenAI-compatible app on Node: @hono/node-server on a port (0 = any free one).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createOpenAiApp, type OpenAiAppOptions } from './app.ts';

export interface OpenAiServer {
  /** e.g. http://127.0.0.1:8000/v1 (what an OpenAI client takes as its base URL). */
  baseUrl: string;
  port: number;
  close(): Promise<void>;
}

export async function startOpenAiServer({ port = 0, hostname = '127.0.0.1', ...appOptions }: OpenAiAppOptions & { port?: number; hostname?: string }): Promise<OpenAiServer> {
  const app = createOpenAiApp(appOptions);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname }, (info: AddressInfo) => {
      resolve({
        baseUrl: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${info.port}/v1`,
        port: info.port,
        close: () => new Promise<void>((done, fail) => server.close((error) => (error ? fail(error) : done()))),
      });
    });
    server.once('error', reject);
  });
}
