import { describe, expect, it } from 'vitest';
import { cloudConfigFromEnv, queueName, QUEUE_KINDS, resolveCloudConfig } from './config.ts';
import { createS3Client, createSqsClient } from './clients.ts';
import { CloudConfigError } from './errors.ts';

describe('cloudConfigFromEnv', () => {
  it('uses one emulator endpoint for both services with local defaults', () => {
    const config = cloudConfigFromEnv({ SPPO_AWS_ENDPOINT: 'http://127.0.0.1:4566' });
    expect(config).toEqual({ region: 'us-east-1', bucket: 'sppo', queuePrefix: 'sppo', endpoint: 'http://127.0.0.1:4566' });
  });

  it('reads per-service endpoints, bucket, prefix and region', () => {
    const config = cloudConfigFromEnv({
      SPPO_S3_ENDPOINT: 'http://127.0.0.1:9000',
      SPPO_SQS_ENDPOINT: 'http://127.0.0.1:9324',
      SPPO_BUCKET: 'my-runs',
      SPPO_QUEUE_PREFIX: 'exp1',
      AWS_REGION: 'eu-west-1',
    });
    expect(config).toMatchObject({ s3Endpoint: 'http://127.0.0.1:9000', sqsEndpoint: 'http://127.0.0.1:9324', bucket: 'my-runs', queuePrefix: 'exp1', region: 'eu-west-1' });
    expect(config.endpoint).toBeUndefined();
  });

  it('targets real AWS without an endpoint and then requires a bucket', () => {
    expect(cloudConfigFromEnv({ SPPO_BUCKET: 'prod-bucket', AWS_REGION: 'us-west-2' })).toEqual({
      region: 'us-west-2',
      bucket: 'prod-bucket',
      queuePrefix: 'sppo',
    });
    expect(() => cloudConfigFromEnv({})).toThrow(/SPPO_BUCKET is not set/);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      cloudConfigFromEnv({ SPPO_S3_ENDPOINT: 'ftp://x', SPPO_BUCKET: 'Bad_Bucket', SPPO_QUEUE_PREFIX: 'has space' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CloudConfigError);
    const problems = (error as CloudConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/SPPO_SQS_ENDPOINT/);
    expect(problems.join('\n')).toMatch(/bucket "Bad_Bucket"/);
    expect(problems.join('\n')).toMatch(/queue prefix "has space"/);
    expect(problems.join('\n')).toMatch(/s3Endpoint "ftp:\/\/x"/);
  });
});

describe('queue names and clients', () => {
  it('names the four queues and their DLQs from the prefix', () => {
    const config = { region: 'us-east-1', bucket: 'b-1', queuePrefix: 'exp' };
    expect(QUEUE_KINDS.map((k) => queueName(config, k))).toEqual(['exp-generate', 'exp-judge', 'exp-train', 'exp-events']);
    expect(queueName(config, 'train', { deadLetter: true })).toBe('exp-train-dlq');
    expect(queueName({ region: 'us-east-1', bucket: 'b-1' }, 'judge')).toBe('sppo-judge');
    expect(resolveCloudConfig({ region: 'us-east-1', bucket: 'b-1' }).queuePrefix).toBe('sppo');
  });

  it('configures path-style S3 and dummy credentials for an endpoint', async () => {
    const config = { region: 'us-east-1', bucket: 'b-1', endpoint: 'http://127.0.0.1:1' };
    const s3 = createS3Client(config);
    expect(s3.config.forcePathStyle).toBe(true);
    expect((await s3.config.credentials()).accessKeyId).toBe('sppo-local');
    const sqs = createSqsClient({ ...config, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    expect((await sqs.config.credentials()).accessKeyId).toBe('k');
    expect(String((await sqs.config.endpoint?.())?.hostname)).toBe('127.0.0.1');
  });
});
