// The judge HTTP app on Node (packages/cloud listenHttp) on a port (0 = any free one).
import { listenHttp } from '@sppo/cloud';
import { createJudgeApp, type JudgeAppOptions } from './app.ts';

export interface JudgeServer {
  /** e.g. http://127.0.0.1:8001/v1 */
  baseUrl: string;
  port: number;
  close(): Promise<void>;
}

export async function startJudgeServer({ port = 0, hostname = '127.0.0.1', ...appOptions }: JudgeAppOptions & { port?: number; hostname?: string }): Promise<JudgeServer> {
  const listener = await listenHttp(createJudgeApp(appOptions).fetch, { port, hostname });
  return { baseUrl: `${listener.url}/v1`, port: listener.port, close: listener.close };
}
