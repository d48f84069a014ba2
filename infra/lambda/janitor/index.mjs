// The intermediate-shard janitor: a scheduled Lambda that deletes generation, triplet and
// train-state objects older than RETENTION_DAYS. S3 lifecycle rules cannot do this: their filters
// are literal key prefixes (or tags), and the round sits in the middle of the key
// (runs/{run}/round={t}/generations/...), so a prefix rule would have to cover checkpoints too.
// Checkpoints, manifests, metrics and run records never match, so they are never deleted here.
// Plain ESM JavaScript on purpose: deployed as-is (no bundling, no Docker at synth time); the AWS
// SDK v3 comes with the Lambda Node.js runtime.

/** runs/{run}/round={t}/(generations|triplets|train-state)/... (ARCHITECTURE 3.2). */
export const INTERMEDIATE_KEY = /^runs\/[^/]+\/round=\d+\/(?:generations|triplets|train-state)\//;

const DAY_MS = 24 * 60 * 60 * 1000;

/** True when `key` is an intermediate shard last modified more than `days` days before `now`. */
export function isExpiredIntermediate(key, lastModified, now, days) {
  return INTERMEDIATE_KEY.test(key) && now.getTime() - lastModified.getTime() > days * DAY_MS;
}

/**
 * List every key under runs/ and delete the expired intermediate ones, at most 1000 a request
 * (the DeleteObjects limit). `store` is a small port so the selection logic runs without AWS:
 *   list(prefix, continuationToken) -> { objects: [{ key, lastModified }], next }
 *   deleteKeys(keys) -> { errors: [{ key, message }] }
 */
export async function sweep({ store, days, now = new Date(), log = () => {} }) {
  if (!Number.isFinite(days) || days < 1) throw new Error(`retention days must be a number >= 1, got ${days}; set RETENTION_DAYS`);
  let scanned = 0;
  let deleted = 0;
  const failed = [];
  let batch = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const { errors } = await store.deleteKeys(batch);
    deleted += batch.length - errors.length;
    failed.push(...errors);
    batch = [];
  };
  let token;
  do {
    const page = await store.list('runs/', token);
    for (const object of page.objects) {
      scanned += 1;
      if (!isExpiredIntermediate(object.key, object.lastModified, now, days)) continue;
      batch.push(object.key);
      if (batch.length === 1000) await flush();
    }
    token = page.next;
  } while (token);
  await flush();
  const result = { scanned, deleted, failed: failed.length };
  log(`janitor scanned=${scanned} deleted=${deleted} failed=${failed.length}`);
  for (const error of failed.slice(0, 20)) log(`janitor delete failed key=${error.key} reason=${error.message}`);
  return result;
}

/** The S3 port over the AWS SDK (available in the Lambda runtime, loaded lazily). */
export async function s3Store(bucket) {
  const { S3Client, ListObjectsV2Command, DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({});
  return {
    async list(prefix, token) {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      return {
        objects: (out.Contents ?? []).map((o) => ({ key: o.Key, lastModified: o.LastModified })),
        next: out.IsTruncated ? out.NextContinuationToken : undefined,
      };
    },
    async deleteKeys(keys) {
      const out = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
      return { errors: (out.Errors ?? []).map((e) => ({ key: e.Key, message: `${e.Code}: ${e.Message}` })) };
    },
  };
}

export async function handler() {
  const bucket = process.env.SPPO_BUCKET;
  if (!bucket) throw new Error('SPPO_BUCKET is not set; the stack sets it to the run bucket');
  return sweep({ store: await s3Store(bucket), days: Number(process.env.RETENTION_DAYS), log: console.log });
}
