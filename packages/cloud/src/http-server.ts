// A fetch-style HTTP handler (a Hono app's `fetch`) listening on a local port with
// @hono/node-server: the Node entry of the gateway and of the generator's and judge's HTTP APIs.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface HttpListener {
  /** e.g. http://127.0.0.1:8787 (IPv6 hosts in brackets). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on `port` (0: any free one) at `hostname` (default 127.0.0.1). */
export function listenHttp(fetch: (request: Request) => Response | Promise<Response>, { port = 0, hostname = '127.0.0.1' }: { port?: number; hostname?: string } = {}): Promise<HttpListener> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, (info: AddressInfo) => {
      resolve({
        url: `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`,
        port: info.port,
        close: () => new Promise<void>((done, fail) => server.close((error) => (error ? fail(error) : done()))),
      });
    });
    server.once('error', reject);
  });
}
