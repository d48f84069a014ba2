// The ports over @sppo/cloud (the @aws-sdk clients): Node only. The events worker uses it in AWS,
// where credentials come from the SDK's default chain (an ECS task role), which aws4fetch cannot
// read. Never imported by the Workers entry.
import { createObjectStore, createQueue, isNotFound, type CloudConfig, type ObjectStore, type Queue } from '@sppo/cloud';
import { QUEUE_KINDS, type QueueKind, type RunStore, type TaskQueues } from '../ports.ts';

export function runStoreFromCloud(store: ObjectStore): RunStore {
  return {
    async getText(key) {
      try {
        return await store.getText(key);
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },
    async getBytes(key) {
      try {
        return await store.getBytes(key);
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },
    put: (key, body, contentType = 'application/json') => store.put(key, body, { contentType }),
    async listAll(prefix) {
      const objects = await store.list(prefix);
      return objects.map((o) => ({ key: o.key, size: o.size, lastModified: o.lastModified?.toISOString() ?? '' }));
    },
  };
}

export function taskQueuesFromCloud(queues: Record<QueueKind, Queue>): TaskQueues {
  return {
    async send(kind, body) {
      await queues[kind].send(body);
    },
    async sendBatch(kind, bodies) {
      if (bodies.length > 0) await queues[kind].sendBatch(bodies);
    },
    async ping(kind) {
      await queues[kind].depth();
    },
  };
}

/** Both ports from a CloudConfig (cloudConfigFromEnv() in a process). */
export function cloudPorts(config: CloudConfig): { store: RunStore; queues: TaskQueues } {
  const queues = Object.fromEntries(QUEUE_KINDS.map((kind) => [kind, createQueue(config, kind)])) as Record<QueueKind, Queue>;
  return { store: runStoreFromCloud(createObjectStore(config)), queues: taskQueuesFromCloud(queues) };
}
