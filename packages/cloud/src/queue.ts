// One SQS queue over the real @aws-sdk/client-sqs (ARCHITECTURE 3.5). Messages carry JSON with
// ids and S3 keys, never bulk data; nothing is acknowledged implicitly (STYLE guideline 11).
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsClient } from './clients.ts';
import { QUEUE_KINDS, queueName, type CloudConfig, type QueueKind } from './config.ts';
import { sleep } from './concurrency.ts';
import { createQueueUrlResolver, type QueueUrlResolver } from './queue-urls.ts';

/** SQS limits: 10 entries and 256 KiB per SendMessageBatch, 20 s long poll, 12 h visibility. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;
export const MAX_WAIT_TIME_SECONDS = 20;
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 60 * 60;

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  /** The raw body (JSON text when sent through this package). */
  body: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
  sentAt?: Date;
  /** String message attributes. */
  attributes: Record<string, string>;
}

export interface SendOptions {
  delaySeconds?: number;
  attributes?: Record<string, string>;
}

export interface ReceiveOptions {
  /** 1-10. */
  maxMessages?: number;
  /** Long poll, 0-20 s. */
  waitTimeSeconds?: number;
  /** Overrides the queue's default visibility timeout for these messages. */
  visibilityTimeoutSeconds?: number;
  /** Aborts the long poll (graceful shutdown); an aborted receive returns []. */
  signal?: AbortSignal;
}

export interface QueueDepth {
  /** ApproximateNumberOfMessages. */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible (being handled). */
  inFlight: number;
  /** ApproximateNumberOfMessagesDelayed. */
  delayed: number;
  /** visible + inFlight: the backlog a scaler or a status page shows. */
  total: number;
}

export interface Queue {
  readonly kind: QueueKind;
  readonly name: string;
  readonly deadLetter: boolean;
  readonly client: SQSClient;
  url(): Promise<string>;
  /** Sends `JSON.stringify(body)`; returns the message id. */
  send(body: unknown, options?: SendOptions): Promise<string>;
  /** Sends a body as is (tests of malformed messages, DLQ forwarding). */
  sendRaw(body: string, options?: SendOptions): Promise<string>;
  /** Sends in chunks of 10, retrying failed entries; returns message ids in input order. */
  sendBatch(bodies: readonly unknown[], options?: { maxAttempts?: number }): Promise<string[]>;
  receive(options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Deletes the message: call only once its outcome is durable. */
  ack(message: ReceivedMessage | string): Promise<void>;
  /** Sets the message's remaining invisibility to `seconds` from now (0 releases it). */
  changeVisibility(message: ReceivedMessage | string, seconds: number): Promise<void>;
  purge(): Promise<void>;
  depth(): Promise<QueueDepth>;
}

export interface QueueOptions {
  client?: SQSClient;
  /** The dead-letter queue `${name}-dlq` of this kind instead of the work queue. */
  deadLetter?: boolean;
  /** Share one URL cache between queues. */
  resolveUrl?: QueueUrlResolver;
}

function receiptOf(message: ReceivedMessage | string): string {
  return typeof message === 'string' ? message : message.receiptHandle;
}

function toAttributes(attributes: Record<string, string> | undefined): Record<string, MessageAttributeValue> | undefined {
  if (attributes === undefined) return undefined;
  return Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]));
}

function checkRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new RangeError(`${name} ${value} is out of range: use an integer from ${min} to ${max}`);
  }
}

export function createQueue(
  config: CloudConfig,
  kind: QueueKind,
  { client = createSqsClient(config), deadLetter = false, resolveUrl }: QueueOptions = {},
): Queue {
  if (!QUEUE_KINDS.includes(kind)) {
    throw new RangeError(`unknown queue kind "${String(kind)}": use one of ${QUEUE_KINDS.join(', ')}`);
  }
  const resolver = resolveUrl ?? createQueueUrlResolver(config, client);
  const url = () => resolver(kind, { deadLetter });

  const queue: Queue = {
    kind,
    name: queueName(config, kind, { deadLetter }),
    deadLetter,
    client,
    url,

    send: (body, options) => queue.sendRaw(JSON.stringify(body), options),

    async sendRaw(body, options = {}) {
      checkRange('delaySeconds', options.delaySeconds, 0, 900);
      const r = await client.send(
        new SendMessageCommand({
          QueueUrl: await url(),
          MessageBody: body,
          DelaySeconds: options.delaySeconds,
          MessageAttributes: toAttributes(options.attributes),
        }),
      );
      return r.MessageId ?? '';
    },

    async sendBatch(bodies, { maxAttempts = 4 } = {}) {
      const queueUrl = await url();
      const texts = bodies.map((b) => JSON.stringify(b));
      const ids = new Array<string>(texts.length);
      for (const chunk of chunkBatch(texts)) {
        let pending = chunk;
        for (let attempt = 1; pending.length > 0; attempt++) {
          const r = await client.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: pending.map((i) => ({ Id: String(i), MessageBody: texts[i] })),
            }),
          );
          for (const ok of r.Successful ?? []) ids[Number(ok.Id)] = ok.MessageId ?? '';
          const failed = r.Failed ?? [];
          // Sender faults (a malformed entry) never succeed on retry; report them at once.
          const fatal = failed.find((f) => f.SenderFault);
          if (fatal || (failed.length > 0 && attempt >= maxAttempts)) {
            const f = fatal ?? failed[0];
            throw new Error(
              `sendBatch to ${queue.name}: ${failed.length} entries failed after ${attempt} attempt(s) (entry ${f?.Id}: ${f?.Code} ${f?.Message})`,
            );
          }
          pending = failed.map((f) => Number(f.Id));
          if (pending.length > 0) await sleep(100 * 2 ** (attempt - 1));
        }
      }
      return ids;
    },

    async receive({ maxMessages = 10, waitTimeSeconds = MAX_WAIT_TIME_SECONDS, visibilityTimeoutSeconds, signal } = {}) {
      checkRange('maxMessages', maxMessages, 1, 10);
      checkRange('waitTimeSeconds', waitTimeSeconds, 0, MAX_WAIT_TIME_SECONDS);
      checkRange('visibilityTimeoutSeconds', visibilityTimeoutSeconds, 0, MAX_VISIBILITY_TIMEOUT_SECONDS);
      if (signal?.aborted) return [];
      const command = new ReceiveMessageCommand({
        QueueUrl: await url(),
        MaxNumberOfMessages: maxMessages,
        WaitTimeSeconds: waitTimeSeconds,
        VisibilityTimeout: visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        MessageAttributeNames: ['All'],
      });
      let response;
      try {
        response = await client.send(command, signal ? { abortSignal: signal } : {});
      } catch (error) {
        if (signal?.aborted) return [];
        throw error;
      }
      return (response.Messages ?? []).map((m) => {
        const sent = m.Attributes?.SentTimestamp;
        const attributes: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) {
          if (v.StringValue !== undefined) attributes[k] = v.StringValue;
        }
        return {
          messageId: m.MessageId ?? '',
          receiptHandle: m.ReceiptHandle ?? '',
          body: m.Body ?? '',
          receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
          ...(sent !== undefined && { sentAt: new Date(Number(sent)) }),
          attributes,
        };
      });
    },

    async ack(message) {
      await client.send(new DeleteMessageCommand({ QueueUrl: await url(), ReceiptHandle: receiptOf(message) }));
    },

    async changeVisibility(message, seconds) {
      checkRange('visibility timeout', seconds, 0, MAX_VISIBILITY_TIMEOUT_SECONDS);
      await client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: await url(),
          ReceiptHandle: receiptOf(message),
          VisibilityTimeout: seconds,
        }),
      );
    },

    async purge() {
      await client.send(new PurgeQueueCommand({ QueueUrl: await url() }));
    },

    async depth() {
      const r = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: await url(),
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      const visible = Number(r.Attributes?.ApproximateNumberOfMessages ?? 0);
      const inFlight = Number(r.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
      const delayed = Number(r.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0);
      return { visible, inFlight, delayed, total: visible + inFlight };
    },
  };
  return queue;
}

/** Splits entry indexes into batches of at most 10 entries and 256 KiB of bodies. */
export function chunkBatch(texts: readonly string[]): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  texts.forEach((text, i) => {
    const size = Buffer.byteLength(text);
    if (size > MAX_BATCH_BYTES) {
      throw new RangeError(`message ${i} is ${size} bytes, over the SQS limit of ${MAX_BATCH_BYTES}: put bulk data in S3 and send its key`);
    }
    if (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}
