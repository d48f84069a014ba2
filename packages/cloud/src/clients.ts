// The real @aws-sdk clients, configured once from a CloudConfig. With an endpoint (the emulator)
// S3 needs path-style addressing (fauxqs README: "S3 needs forcePathStyle") and any static
// credentials; without one the SDK's default credential chain and virtual-hosted style apply.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { EMULATOR_CREDENTIALS, resolveCloudConfig, s3EndpointOf, sqsEndpointOf, type CloudConfig } from './config.ts';

export function createS3Client(config: CloudConfig): S3Client {
  const resolved = resolveCloudConfig(config);
  const endpoint = s3EndpointOf(resolved);
  const options: S3ClientConfig = { region: resolved.region };
  if (endpoint !== undefined) {
    options.endpoint = endpoint;
    options.forcePathStyle = true;
    options.credentials = resolved.credentials ?? EMULATOR_CREDENTIALS;
  } else if (resolved.credentials) {
    options.credentials = resolved.credentials;
  }
  return new S3Client(options);
}

export function createSqsClient(config: CloudConfig): SQSClient {
  const resolved = resolveCloudConfig(config);
  const endpoint = sqsEndpointOf(resolved);
  const options: SQSClientConfig = { region: resolved.region };
  if (endpoint !== undefined) {
    options.endpoint = endpoint;
    options.credentials = resolved.credentials ?? EMULATOR_CREDENTIALS;
  } else if (resolved.credentials) {
    options.credentials = resolved.credentials;
  }
  return new SQSClient(options);
}
