// Failures of S3 / SQS calls made by the gateway's own signed-fetch clients. They are internal
// errors (HTTP 5xx to API users): the message names the operation and the service's error code,
// never the credentials or the signed request.

export class AwsRequestError extends Error {
  override readonly name = 'AwsRequestError';
  readonly service: 's3' | 'sqs';
  readonly operation: string;
  readonly status: number;
  /** The service's error code (`NoSuchBucket`, `AWS.SimpleQueueService.NonExistentQueue`, ...), '' if none. */
  readonly code: string;

  constructor(service: 's3' | 'sqs', operation: string, status: number, code: string, detail: string) {
    super(`${service} ${operation} failed with HTTP ${status}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`);
    this.service = service;
    this.operation = operation;
    this.status = status;
    this.code = code;
  }
}
