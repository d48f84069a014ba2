// A minimal SQS client over aws4fetch with the AWS JSON 1.0 protocol (what the current SDKs use):
// POST / with `X-Amz-Target: AmazonSQS.<Action>` and `Content-Type: application/x-amz-json-1.0`,
// the queue named by `QueueUrl` in the body (SQS API reference, "Making requests using the AWS JSON
// protocol"). fauxqs routes exactly this shape (dist/app.js: POST / + x-amz-json-1.0 -> SqsRouter).
import { AwsClient } from 'aws4fetch';
import type { AwsCredentials } from './s3.ts';
import { AwsRequestError } from './errors.ts';

export interface SqsClientOptions {
  region: string;
  credentials: AwsCredentials;
  /** An SQS-compatible endpoint (the emulator); default: the origin of each queue URL. */
  endpoint?: string;
  retries?: number;
  timeoutMs?: number;
}

/** SendMessageBatch takes at most 10 entries (SQS quota). */
export const MAX_BATCH_ENTRIES = 10;

export interface SqsClient {
  sendMessage(queueUrl: string, body: string): Promise<string>;
  /** Sends in chunks of 10; throws listing every entry SQS refused. */
  sendMessageBatch(queueUrl: string, bodies: readonly string[]): Promise<void>;
  getQueueAttributes(queueUrl: string, names: readonly string[]): Promise<Record<string, string>>;
  getQueueUrl(queueName: string): Promise<string>;
}

export function createSqsClient({ region, credentials, endpoint, retries = 3, timeoutMs = 15_000 }: SqsClientOptions): SqsClient {
  const aws = new AwsClient({ ...credentials, service: 'sqs', region, retries });
  const endpointFor = (queueUrl?: string): string => {
    if (endpoint !== undefined) return `${endpoint.replace(/\/+$/, '')}/`;
    if (queueUrl !== undefined) return `${new URL(queueUrl).origin}/`;
    return `https://sqs.${region}.amazonaws.com/`;
  };

  async function call<T>(action: string, payload: Record<string, unknown>, queueUrl?: string): Promise<T> {
    const response = await aws.fetch(endpointFor(queueUrl), {
      method: 'POST',
      headers: { 'x-amz-target': `AmazonSQS.${action}`, 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) {
      let code = '';
      let message = text.slice(0, 200);
      try {
        const parsed = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
        code = (parsed.__type ?? '').replace(/^.*#/, '');
        message = parsed.message ?? parsed.Message ?? message;
      } catch {
        // not JSON: keep the raw text
      }
      throw new AwsRequestError('sqs', action, response.status, code, message);
    }
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  return {
    async sendMessage(queueUrl, body) {
      const result = await call<{ MessageId?: string }>('SendMessage', { QueueUrl: queueUrl, MessageBody: body }, queueUrl);
      return result.MessageId ?? '';
    },
    async sendMessageBatch(queueUrl, bodies) {
      for (let start = 0; start < bodies.length; start += MAX_BATCH_ENTRIES) {
        const entries = bodies.slice(start, start + MAX_BATCH_ENTRIES).map((body, i) => ({ Id: `m${start + i}`, MessageBody: body }));
        const result = await call<{ Failed?: { Id: string; Code?: string; Message?: string }[] }>('SendMessageBatch', { QueueUrl: queueUrl, Entries: entries }, queueUrl);
        const failed = result.Failed ?? [];
        if (failed.length > 0) {
          const list = failed.map((f) => `${f.Id}: ${f.Code ?? ''} ${f.Message ?? ''}`.trim()).join('; ');
          throw new AwsRequestError('sqs', 'SendMessageBatch', 200, 'BatchEntryFailed', `${failed.length} of ${entries.length} entries failed (${list})`);
        }
      }
    },
    async getQueueAttributes(queueUrl, names) {
      const result = await call<{ Attributes?: Record<string, string> }>('GetQueueAttributes', { QueueUrl: queueUrl, AttributeNames: [...names] }, queueUrl);
      return result.Attributes ?? {};
    },
    async getQueueUrl(queueName) {
      const result = await call<{ QueueUrl?: string }>('GetQueueUrl', { QueueName: queueName });
      if (!result.QueueUrl) throw new AwsRequestError('sqs', 'GetQueueUrl', 200, '', `no QueueUrl returned for "${queueName}"`);
      return result.QueueUrl;
    },
  };
}
