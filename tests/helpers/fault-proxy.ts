/**
 * A fault-injecting HTTP proxy between one worker process and the emulator. Every S3 and SQS call
 * of that process goes through it (its SPPO_AWS_ENDPOINT is the proxy), so a test can:
 * - see what the process does (which object it writes, which message it sends), in order;
 * - hold a request forever (the process is then stuck in the middle of a unit: kill it there);
 * - deliver a message twice (forward an SQS SendMessage twice) or late (delay it: out of order).
 * Requests are read whole before they are forwarded, so a rule can look at the body.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SqsMessageSent {
  queue: string;
  body: string;
}

export interface ProxiedRequest {
  seq: number;
  method: string;
  /** S3 object key (path-style: /{bucket}/{key}), undefined for bucket-level and SQS calls. */
  key?: string;
  /** SQS action from X-Amz-Target (e.g. 'SendMessage'), undefined for S3. */
  sqsAction?: string;
  /** SendMessage / SendMessageBatch bodies with their queue name. */
  sent: SqsMessageSent[];
  body: Buffer;
}

/**
 * - forward: pass through; hold: never answer (the caller hangs until killed);
 * - delay: forward after `ms`; duplicate: forward twice (the copy `delayMs` after the first);
 * - fail: answer `status` with an S3-style XML error, without forwarding (a flaky store);
 * - reorder: SQS SendMessage only: answer success at once, then deliver `copies` copies after
 *   `delayMs` each, so later sends overtake it (SQS standard queues promise no order).
 */
export type ProxyAction =
  | { kind: 'forward' }
  | { kind: 'hold' }
  | { kind: 'delay'; ms: number }
  | { kind: 'duplicate'; delayMs?: number }
  | { kind: 'reorder'; delayMs: number; copies?: number }
  | { kind: 'fail'; status: number };

export interface ProxyRule {
  match: (request: ProxiedRequest) => boolean;
  action: ProxyAction;
  /** How many requests the rule applies to (then it is dropped); default 1. */
  times: number;
  seen: (request: ProxiedRequest) => void;
}

export interface FaultProxy {
  readonly url: string;
  /** Every request seen so far, in arrival order. */
  readonly requests: ProxiedRequest[];
  /** Applies `action` to the next `times` requests that match; resolves with the first one. */
  on(match: (request: ProxiedRequest) => boolean, action: ProxyAction, options?: { times?: number }): Promise<ProxiedRequest>;
  /** Applies `action` to every matching request until `clear()`. */
  always(match: (request: ProxiedRequest) => boolean, action: ProxyAction): void;
  clear(): void;
  /** Drops the connections of held requests (the process behind them is gone). */
  releaseHeld(): void;
  /** Aborts every request now being forwarded (e.g. long polls, before the emulator stops). */
  interrupt(): void;
  stop(): Promise<void>;
}

function sqsQueueName(url: unknown): string {
  return typeof url === 'string' ? (url.split('/').pop() ?? url) : '';
}

function describe(seq: number, req: IncomingMessage, body: Buffer, bucket: string): ProxiedRequest {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const target = req.headers['x-amz-target'];
  const out: ProxiedRequest = { seq, method: req.method ?? 'GET', sent: [], body };
  if (typeof target === 'string') {
    out.sqsAction = target.replace(/^AmazonSQS\./, '');
    try {
      const json = JSON.parse(body.toString('utf8')) as { QueueUrl?: string; MessageBody?: string; Entries?: { MessageBody?: string }[] };
      const queue = sqsQueueName(json.QueueUrl);
      if (typeof json.MessageBody === 'string') out.sent.push({ queue, body: json.MessageBody });
      for (const entry of json.Entries ?? []) if (typeof entry.MessageBody === 'string') out.sent.push({ queue, body: entry.MessageBody });
    } catch {
      // not JSON: nothing to record
    }
  } else if (path.startsWith(`/${bucket}/`)) {
    out.key = decodeURIComponent(path.slice(bucket.length + 2));
  }
  return out;
}

/** Starts a proxy on a free loopback port forwarding to `target()` (read per request: the emulator may move). */
export async function startFaultProxy({ target, bucket }: { target: () => string; bucket: string }): Promise<FaultProxy> {
  const requests: ProxiedRequest[] = [];
  let rules: ProxyRule[] = [];
  const held = new Set<ServerResponse>();
  const upstreams = new Set<ReturnType<typeof httpRequest>>();
  const sockets = new Set<Socket>();
  let seq = 0;

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const url = new URL(req.url ?? '/', target());
      const upstream = httpRequest(url, { method: req.method, headers: { ...req.headers, host: url.host, 'content-length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      upstream.on('error', reject);
      upstreams.add(upstream);
      upstream.on('close', () => upstreams.delete(upstream));
      upstream.end(body);
    });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const info = describe(++seq, req, body, bucket);
      requests.push(info);
      const rule = rules.find((r) => r.match(info));
      let action: ProxyAction = { kind: 'forward' };
      if (rule) {
        action = rule.action;
        rule.times -= 1;
        if (rule.times <= 0) rules = rules.filter((r) => r !== rule);
        rule.seen(info);
      }
      if (action.kind === 'hold') {
        held.add(res);
        return;
      }
      if (action.kind === 'fail') {
        const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected by the fault proxy</Message></Error>`;
        res.writeHead(action.status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)) });
        res.end(xml);
        return;
      }
      if (action.kind === 'reorder' && info.sqsAction === 'SendMessage' && info.sent[0] !== undefined) {
        // The JSON-protocol answer of SendMessage; the SDK checks MD5OfMessageBody.
        const answer = JSON.stringify({ MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(info.sent[0].body).digest('hex') });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(Buffer.byteLength(answer)) });
        res.end(answer);
        const { delayMs, copies = 1 } = action;
        void (async () => {
          for (let i = 0; i < copies; i++) {
            await new Promise((r) => setTimeout(r, delayMs));
            await forward(req, body).catch(() => undefined);
          }
        })();
        return;
      }
      void (async () => {
        try {
          if (action.kind === 'delay') await new Promise((r) => setTimeout(r, action.ms));
          const answer = await forward(req, body);
          if (action.kind === 'duplicate') {
            // The second copy goes out after the first was stored: a redelivery, as SQS may do.
            if (action.delayMs) await new Promise((r) => setTimeout(r, action.delayMs));
            await forward(req, body);
          }
          const headers = { ...answer.headers };
          delete headers['transfer-encoding'];
          res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
          res.end(answer.body);
        } catch {
          // The emulator is down (a restart test): the client sees a dropped connection and retries.
          res.destroy();
        }
      })();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const addRule = (match: ProxyRule['match'], action: ProxyAction, times: number): Promise<ProxiedRequest> =>
    new Promise((resolve) => {
      let first = true;
      rules.push({
        match,
        action,
        times,
        seen: (r) => {
          if (first) resolve(r);
          first = false;
        },
      });
    });

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (match, action, { times = 1 } = {}) => addRule(match, action, times),
    always: (match, action) => void addRule(match, action, Number.POSITIVE_INFINITY),
    clear: () => {
      rules = [];
    },
    releaseHeld: () => {
      for (const res of held) res.destroy();
      held.clear();
    },
    interrupt: () => {
      for (const upstream of upstreams) upstream.destroy(new Error('interrupted by the test'));
      upstreams.clear();
    },
    stop: async () => {
      for (const res of held) res.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** sha256 hex of bytes, for byte-identity checks. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
