// The ports over the gateway's own signed-fetch clients (aws/s3.ts, aws/sqs.ts): what the API uses
// on Workers and on Node, and what the automation uses wherever static keys are configured.
import { createS3Client, type S3Client } from '../aws/s3.ts';
import { createSqsClient, type SqsClient } from '../aws/sqs.ts';
import type { GatewayConfig } from '../config.ts';
import type { ApiStore, KeyPage, ObjectEntry, QueueKind, TaskQueues } from '../ports.ts';

export interface AwsPortsOptions {
  /** Per-call timeout, so a dead endpoint fails instead of hanging. */
  timeoutMs?: number;
  retries?: number;
  /** Readiness probes: one try, a short timeout. */
  pingTimeoutMs?: number;
}

export function createAwsStore(config: GatewayConfig, { timeoutMs = 15_000, retries = 3, pingTimeoutMs = 5_000 }: AwsPortsOptions = {}): ApiStore {
  const client = (timeout: number, tries: number): S3Client =>
    createS3Client({
      bucket: config.bucket,
      region: config.region,
      credentials: config.credentials,
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
      timeoutMs: timeout,
      retries: tries,
    });
  const s3 = client(timeoutMs, retries);
  const probe = client(pingTimeoutMs, 0);
  const toEntry = (o: { key: string; size: number; lastModified: string }): ObjectEntry => ({ key: o.key, size: o.size, lastModified: o.lastModified });
  return {
    getText: (key) => s3.getText(key),
    getBytes: (key) => s3.getBytes(key),
    put: (key, body, contentType = 'application/json') => s3.put(key, body, contentType),
    copy: (sourceKey, destinationKey) => s3.copy(sourceKey, destinationKey),
    async listPage(prefix, { delimiter, maxKeys, cursor } = {}): Promise<KeyPage> {
      const page = await s3.listPage(prefix, {
        ...(delimiter === undefined ? {} : { delimiter }),
        ...(maxKeys === undefined ? {} : { maxKeys }),
        ...(cursor === undefined ? {} : { continuationToken: cursor }),
      });
      return { objects: page.objects.map(toEntry), prefixes: page.prefixes, ...(page.nextToken === undefined ? {} : { cursor: page.nextToken }) };
    },
    async listAll(prefix) {
      const all: ObjectEntry[] = [];
      let token: string | undefined;
      do {
        const page = await s3.listPage(prefix, token === undefined ? {} : { continuationToken: token });
        all.push(...page.objects.map(toEntry));
        token = page.nextToken;
      } while (token !== undefined);
      return all;
    },
    ping: () => probe.headBucket(),
  };
}

export function createAwsQueues(config: GatewayConfig, { timeoutMs = 15_000, retries = 3, pingTimeoutMs = 5_000 }: AwsPortsOptions = {}): TaskQueues {
  const client = (timeout: number, tries: number): SqsClient =>
    createSqsClient({
      region: config.region,
      credentials: config.credentials,
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
      timeoutMs: timeout,
      retries: tries,
    });
  const sqs = client(timeoutMs, retries);
  const probe = client(pingTimeoutMs, 0);
  // Queue URLs from the environment, else looked up by name once; a failed lookup is retried later.
  const urls = new Map<QueueKind, Promise<string>>();
  const urlOf = (kind: QueueKind): Promise<string> => {
    const given = config.queueUrls[kind];
    if (given !== undefined) return Promise.resolve(given);
    let url = urls.get(kind);
    if (url === undefined) {
      url = sqs.getQueueUrl(`${config.queuePrefix}-${kind}`);
      urls.set(kind, url);
      url.catch(() => urls.delete(kind));
    }
    return url;
  };
  return {
    async send(kind, body) {
      await sqs.sendMessage(await urlOf(kind), JSON.stringify(body));
    },
    async sendBatch(kind, bodies) {
      if (bodies.length === 0) return;
      await sqs.sendMessageBatch(await urlOf(kind), bodies.map((body) => JSON.stringify(body)));
    },
    async ping(kind) {
      await probe.getQueueAttributes(await urlOf(kind), ['ApproximateNumberOfMessages']);
    },
  };
}
