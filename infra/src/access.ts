// Least-privilege access per service, as data: which S3 key patterns (ARCHITECTURE 3.2) each one
// reads, writes and deletes, and which queues it consumes or sends to. The policies are built
// from these tables, and the tests read the same tables, so the intent is stated once.
//
// IAM resource wildcards match across '/', so `runs/*/round=*/generations/*` covers every run and
// round. `models/*` is where shared read-only models live (base checkpoints, the judge model):
// a run config's `judge_model` / `model_name_or_path` given as an S3 prefix points there.
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import type { QueueKind, QueueSet } from './queues.ts';

export const SERVICE_ROLES = ['generator', 'judge', 'trainer', 'events', 'gateway', 'janitor'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export interface S3AccessSpec {
  /** s3:GetObject */
  read: string[];
  /** s3:PutObject and s3:AbortMultipartUpload (large objects go up in parts) */
  write: string[];
  /** s3:DeleteObject */
  delete: string[];
}

const RUN_CONFIG = 'runs/*/run.json';
const PROMPTS = 'runs/*/prompts/*';
const MANIFEST = 'runs/*/round=*/_manifest.json';
const GENERATIONS = 'runs/*/round=*/generations/*';
const TRIPLETS = 'runs/*/round=*/triplets/*';
// The round's metrics.json, written by the trainer.
const METRICS = 'runs/*/round=*/metrics*';
// The judge's per-shard numbers (packages/core keys.ts judgeMetricsKey: judge-metrics/shard={i}.json).
const JUDGE_METRICS = 'runs/*/round=*/judge-metrics/*';
const CHECKPOINTS = 'runs/*/checkpoints/*';
const TRAIN_STATE = 'runs/*/round=*/train-state/*';
const FAILURES = 'runs/*/failures/*';
// "stage started" markers of the state machine (packages/core keys.ts enqueuedMarkerKey).
const ENQUEUED = 'runs/*/round=*/_enqueued/*';
// The run's status (runs/{run}/status.json: cancel marker, completion) and a summary beside it.
const STATUS = 'runs/*/status*';
const SUMMARY = 'runs/*/summary*';
// The evaluation stage (issue 21; packages/core keys.ts eval* keys). Its samples and judgments are
// not intermediate shards: pi_0's samples serve every later round's evaluation, so they never expire.
const EVAL_PROMPTS = 'runs/*/eval/prompts.jsonl';
const EVAL_SAMPLES = 'runs/*/eval/policy=*/generations/*';
const EVAL_SAMPLE_MARKERS = 'runs/*/eval/policy=*/_enqueued/*';
const EVAL_MANIFEST = 'runs/*/round=*/eval/_manifest.json';
const EVAL_JUDGMENTS = 'runs/*/round=*/eval/judgments/*';
const EVAL_METRICS = 'runs/*/round=*/eval/metrics.json';
const MODELS = 'models/*';
// Checkpoint 0 of a run: the base model as copied in by the gateway when the run is created.
const BASE_CHECKPOINT = 'runs/*/checkpoints/0/*';

/** Intermediate shards: re-creatable from checkpoints, so they expire (see janitor.ts). */
export const INTERMEDIATE_PATTERNS = [GENERATIONS, TRIPLETS, TRAIN_STATE];

export const S3_ACCESS: Record<ServiceRole, S3AccessSpec> = {
  // Samples K responses per prompt from the round's checkpoint.
  // Each stage worker may also record its own units' failures (runs/{run}/failures/{stage}-{t}[-{i}].json),
  // e.g. from the worker loop's onFailure, and no other stage's. Each reads the run's status.json
  // before a unit, to skip the units of a cancelled run (packages/cloud isRunCancelled).
  // Its eval_generate units read the evaluation manifest and prompts and write a checkpoint's samples.
  generator: {
    read: [RUN_CONFIG, STATUS, PROMPTS, MANIFEST, CHECKPOINTS, MODELS, EVAL_PROMPTS, EVAL_MANIFEST, EVAL_SAMPLES],
    write: [GENERATIONS, 'runs/*/failures/generate-*', EVAL_SAMPLES, 'runs/*/failures/eval_generate-*'],
    delete: [],
  },
  // Compares the generations pairwise with the judge model; writes triplets and its per-shard metrics.
  // It reads its own two outputs back (a HEAD: is this shard already judged?).
  // Its eval_judge units read the evaluation manifest and samples and write (and read back) the judgments.
  judge: {
    read: [RUN_CONFIG, STATUS, MANIFEST, GENERATIONS, TRIPLETS, JUDGE_METRICS, MODELS, EVAL_MANIFEST, EVAL_SAMPLES, EVAL_JUDGMENTS],
    write: [TRIPLETS, JUDGE_METRICS, 'runs/*/failures/judge-*', EVAL_JUDGMENTS, 'runs/*/failures/eval_judge-*'],
    delete: [],
  },
  // Fits the next checkpoint from the round's triplets; resumable state lives in train-state/.
  trainer: {
    read: [RUN_CONFIG, STATUS, MANIFEST, TRIPLETS, CHECKPOINTS, TRAIN_STATE, METRICS, MODELS],
    write: [CHECKPOINTS, TRAIN_STATE, METRICS, 'runs/*/failures/train-*'],
    delete: [TRAIN_STATE],
  },
  // The round state machine host reads everything of a run and writes only run-level records.
  // The evaluation's manifest, sample markers and metrics are its too (the eval_judge markers are in _enqueued/).
  events: { read: ['runs/*'], write: [MANIFEST, ENQUEUED, STATUS, SUMMARY, FAILURES, EVAL_MANIFEST, EVAL_SAMPLE_MARKERS, EVAL_METRICS], delete: [] },
  // The HTTP API: creates runs (config, prompts), cancels/resumes (status), reads everything of a run
  // for GET /v1/runs/{id}, and reads prompt files users uploaded under `tenants/{tenant}/`.
  // At creation it copies the base model (a shared `models/...` prefix) into the run as checkpoint 0
  // (services/gateway runs/base-checkpoint.ts), so it reads models/* and writes checkpoints/0 only.
  gateway: { read: ['runs/*', 'tenants/*', MODELS], write: [RUN_CONFIG, PROMPTS, STATUS, BASE_CHECKPOINT, EVAL_PROMPTS], delete: [] },
  // Deletes expired intermediate shards only; it never reads object contents.
  janitor: { read: [], write: [], delete: INTERMEDIATE_PATTERNS },
};

// Why each key pattern keeps its wildcards: AWS's rule pack (cdk-nag AwsSolutions-IAM5) flags every
// `*` in a resource, and each role acknowledges exactly the patterns it is granted, with the reason
// below (acknowledgeKeyPatterns). A pattern that is not listed here stays a finding, so a new
// wildcard fails the infra tests until someone writes down why it is needed.
const RUN = 'The run id is minted by the gateway when a run is created (POST /v1/runs), after deploy, and one deployment serves every run, so a deploy-time policy cannot name it.';
const ROUND = 'The round number grows as the run proceeds.';
export const KEY_PATTERN_REASONS: Record<string, string> = {
  [RUN_CONFIG]: `${RUN} The pattern names the one file (run.json).`,
  [PROMPTS]: `${RUN} Only the run's prompts/ folder.`,
  [MANIFEST]: `${RUN} ${ROUND} The pattern names the one file (_manifest.json).`,
  [GENERATIONS]: `${RUN} ${ROUND} Shard files are named by shard index; only the generations/ folder.`,
  [TRIPLETS]: `${RUN} ${ROUND} Shard files are named by shard index; only the triplets/ folder.`,
  [METRICS]: `${RUN} ${ROUND} Only the round's metrics.json.`,
  [JUDGE_METRICS]: `${RUN} ${ROUND} Per-shard files named by shard index; only the judge-metrics/ folder.`,
  [CHECKPOINTS]: `${RUN} Checkpoint folders are numbered by round and hold the model's files, whose names come from the model.`,
  [TRAIN_STATE]: `${RUN} ${ROUND} Resumable trainer state files; only the train-state/ folder.`,
  [FAILURES]: `${RUN} The state machine records failures of every stage ({stage}-{round}[-{shard}].json); only the failures/ folder.`,
  'runs/*/failures/generate-*': `${RUN} Only this stage's own failure records (generate-{round}[-{shard}].json).`,
  'runs/*/failures/judge-*': `${RUN} Only this stage's own failure records (judge-{round}[-{shard}].json).`,
  'runs/*/failures/train-*': `${RUN} Only this stage's own failure records (train-{round}.json).`,
  [ENQUEUED]: `${RUN} ${ROUND} "Stage started" markers named by stage and shard; only the _enqueued/ folder.`,
  [STATUS]: `${RUN} The run's status.json (cancelled or completed), which the stage workers check before a unit.`,
  [SUMMARY]: `${RUN} The run's summary.json.`,
  [EVAL_PROMPTS]: `${RUN} The pattern names the one file (the run's evaluation prompts).`,
  [EVAL_SAMPLES]: `${RUN} The checkpoint number grows as the run proceeds; sample files are named by eval shard index; only that checkpoint's generations/ folder under eval/.`,
  [EVAL_SAMPLE_MARKERS]: `${RUN} The checkpoint number grows as the run proceeds; "eval samples enqueued" markers named by eval shard; only that _enqueued/ folder under eval/.`,
  [EVAL_MANIFEST]: `${RUN} ${ROUND} The pattern names the one file (the round's eval/_manifest.json).`,
  [EVAL_JUDGMENTS]: `${RUN} ${ROUND} Judgment files are named by eval shard index; only the round's eval/judgments/ folder.`,
  [EVAL_METRICS]: `${RUN} ${ROUND} The pattern names the one file (the round's eval/metrics.json).`,
  'runs/*/failures/eval_generate-*': `${RUN} Only the generator's own evaluation failure records (eval_generate-{round}-{shard}.json).`,
  'runs/*/failures/eval_judge-*': `${RUN} Only the judge's own evaluation failure records (eval_judge-{round}-{shard}.json).`,
  [MODELS]: 'Shared read-only models (base checkpoints, the judge model) are uploaded by operators after deploy and named in run configs; read only.',
  [BASE_CHECKPOINT]: `${RUN} Only checkpoint 0, the base model the gateway copies into a new run.`,
  'runs/*': `${RUN} Read only: the state machine (events) and GET /v1/runs/{id} (gateway) read whatever records a run holds.`,
  'tenants/*': "Read only: prompt files users uploaded under tenants/{tenant}/; tenants are configured at runtime (the SPPO_API_KEYS secret), not at deploy.",
};

/** `<logicalId.Arn>`, the way cdk-nag renders the bucket's ARN in a finding. */
function nagArn(bucket: s3.IBucket): string {
  const resolved: unknown = Stack.of(bucket).resolve(bucket.bucketArn);
  const getAtt = (resolved as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  return getAtt ? `<${getAtt[0]}.${getAtt[1]}>` : String(resolved);
}

/** Acknowledge AwsSolutions-IAM5 for each wildcard key pattern of `role` that has a reason, on the
 * construct holding its policy (a role, or the gateway's managed policy), and nothing else. */
export function acknowledgeKeyPatterns(scope: IConstruct, role: ServiceRole, bucket: s3.IBucket): void {
  const { read, write, delete: del } = S3_ACCESS[role];
  for (const pattern of new Set([...read, ...write, ...del])) {
    const reason = KEY_PATTERN_REASONS[pattern];
    if (reason) Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagArn(bucket)}/${pattern}]`, reason });
  }
}

export interface QueueAccessSpec {
  /** Receive, delete, change visibility; plus send to that queue's DLQ, where the worker loop puts
   * a malformed message directly with its reason (packages/cloud runWorker). */
  consume: QueueKind[];
  /** SendMessage */
  send: QueueKind[];
}

export const QUEUE_ACCESS: Record<ServiceRole, QueueAccessSpec> = {
  generator: { consume: ['generate'], send: ['events'] },
  judge: { consume: ['judge'], send: ['events'] },
  trainer: { consume: ['train'], send: ['events'] },
  events: { consume: ['events'], send: ['generate', 'judge', 'train'] },
  // Round 0 may be started by the API directly or through a run.created event: both are allowed.
  gateway: { consume: [], send: ['generate', 'judge', 'train', 'events'] },
  janitor: { consume: [], send: [] },
};

function objectArns(bucket: s3.IBucket, patterns: string[]): string[] {
  return patterns.map((pattern) => bucket.arnForObjects(pattern));
}

/** The S3 statements for one role. s3:ListBucket is granted on the bucket without a prefix
 * condition: S3 answers a GET/HEAD of a missing key with 404 only to callers allowed to list
 * (403 otherwise), and the state machine depends on "does this shard / _COMPLETE exist". Listing
 * reveals key names, never contents; object actions stay limited to the patterns. */
export function s3Statements(bucket: s3.IBucket, spec: S3AccessSpec): iam.PolicyStatement[] {
  const statements = [new iam.PolicyStatement({ sid: 'ListRunKeys', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] })];
  if (spec.read.length > 0) {
    statements.push(new iam.PolicyStatement({ sid: 'ReadObjects', actions: ['s3:GetObject'], resources: objectArns(bucket, spec.read) }));
  }
  if (spec.write.length > 0) {
    statements.push(
      new iam.PolicyStatement({ sid: 'WriteObjects', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: objectArns(bucket, spec.write) }),
    );
  }
  if (spec.delete.length > 0) {
    statements.push(new iam.PolicyStatement({ sid: 'DeleteObjects', actions: ['s3:DeleteObject'], resources: objectArns(bucket, spec.delete) }));
  }
  return statements;
}

export function queueStatements(queues: QueueSet, spec: QueueAccessSpec): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  if (spec.consume.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ConsumeOwnQueue',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: spec.consume.map((kind) => queues[kind].queue.queueArn),
      }),
      new iam.PolicyStatement({
        sid: 'DeadLetterMalformed',
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: spec.consume.map((kind) => queues[kind].dlq.queueArn),
      }),
    );
  }
  if (spec.send.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'SendToQueues',
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: spec.send.map((kind) => queues[kind].queue.queueArn),
      }),
    );
  }
  return statements;
}

export interface AccessTargets {
  bucket: s3.IBucket;
  queues: QueueSet;
}

/** Every statement a role gets, ready for a role's or a managed policy's document. */
export function accessStatements(role: ServiceRole, { bucket, queues }: AccessTargets): iam.PolicyStatement[] {
  return [...s3Statements(bucket, S3_ACCESS[role]), ...queueStatements(queues, QUEUE_ACCESS[role])];
}

/** Grant an IAM role (an ECS task role, a Lambda role) exactly its service's access, and
 * acknowledge the key patterns' wildcards on it (see KEY_PATTERN_REASONS). */
export function grantServiceAccess(principal: iam.IRole, role: ServiceRole, targets: AccessTargets): void {
  for (const statement of accessStatements(role, targets)) principal.addToPrincipalPolicy(statement);
  acknowledgeKeyPatterns(principal, role, targets.bucket);
}
