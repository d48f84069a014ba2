// Queue name -> URL, resolved once per name with GetQueueUrl and cached (URLs never change while a
// queue exists). A failed lookup is not cached, so bootstrapping later fixes a running process.
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from './clients.ts';
import { queueName, type CloudConfig, type QueueKind } from './config.ts';
import { awsErrorName, ResourceMissingError } from './errors.ts';

export type QueueUrlResolver = (kind: QueueKind, options?: { deadLetter?: boolean }) => Promise<string>;

export function createQueueUrlResolver(config: CloudConfig, client: SQSClient = createSqsClient(config)): QueueUrlResolver {
  const cache = new Map<string, Promise<string>>();
  return function resolveQueueUrl(kind, options = {}) {
    const name = queueName(config, kind, options);
    let url = cache.get(name);
    if (url === undefined) {
      url = lookupQueueUrl(client, name);
      cache.set(name, url);
      url.catch(() => cache.delete(name));
    }
    return url;
  };
}

export async function lookupQueueUrl(client: SQSClient, name: string): Promise<string> {
  try {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
    if (!QueueUrl) throw new Error(`GetQueueUrl returned no URL for queue "${name}"`);
    return QueueUrl;
  } catch (error) {
    const code = awsErrorName(error);
    if (code === 'QueueDoesNotExist' || code === 'AWS.SimpleQueueService.NonExistentQueue') {
      throw new ResourceMissingError(`queue "${name}"`, error);
    }
    throw error;
  }
}
