// The OpenAI-compatible app on Node (packages/cloud listenHttp) on a port (0 = any free one).
import { listenHttp } from '@sppo/cloud';
import { createOpenAiApp, type OpenAiAppOptions } from './app.ts';

export interface OpenAiServer {
  /** e.g. http://127.0.0.1:8000/v1 (what an OpenAI client takes as its base URL). */
  baseUrl: string;
  port: number;
  close(): Promise<void>;
}

export async function startOpenAiServer({ port = 0, hostname = '127.0.0.1', ...appOptions }: OpenAiAppOptions & { port?: number; hostname?: string }): Promise<OpenAiServer> {
  const listener = await listenHttp(createOpenAiApp(appOptions).fetch, { port, hostname });
  return { baseUrl: `${listener.url}/v1`, port: listener.port, close: listener.close };
}
