// The queue-driven services: generator, judge and trainer as ECS services on GPU EC2 capacity, and
// the events worker (the round state machine host) on CPU Fargate. Hand-built rather than
// ecs_patterns.QueueProcessingEc2Service: that pattern scales on visible messages only (and adds
// CPU scaling), which would stop tasks whose message is in flight; see scaling.ts.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { grantServiceAccess, type ServiceRole } from './access.ts';
import type { Network } from './compute.ts';
import type { ServiceImages } from './images.ts';
import { MAX_RECEIVE_COUNT, QUEUE_KINDS, VISIBILITY_TIMEOUT, type QueueKind, type QueueSet } from './queues.ts';
import { attachBacklogScaling } from './scaling.ts';

/** Entry points the images run (Node 24 runs the .ts sources directly). Contract with the services. */
export const SERVICE_COMMANDS: Record<'generator' | 'judge' | 'trainer' | 'events', string[]> = {
  generator: ['node', 'services/generator/src/main.ts'],
  judge: ['node', 'services/judge/src/main.ts'],
  trainer: ['node', 'services/trainer/src/main.ts'],
  // The gateway package hosts the automation (its events consumer); see infra/README.md.
  events: ['node', 'services/gateway/src/events-main.ts'],
};

export interface WorkerEnvironmentOptions {
  service: string;
  bucket: s3.IBucket;
  queues: QueueSet;
  prefix: string;
  kind: QueueKind;
}

/** What every service container is told. Queue URLs are given too, though packages/cloud can
 * resolve them from the prefix, so that either way of configuring works. */
export function workerEnvironment({ service, bucket, queues, prefix, kind }: WorkerEnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = {
    SPPO_SERVICE: service,
    SPPO_BUCKET: bucket.bucketName,
    SPPO_QUEUE_PREFIX: prefix,
    SPPO_REGION: Stack.of(bucket).region,
    AWS_REGION: Stack.of(bucket).region,
    SPPO_VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_TIMEOUT[kind].toSeconds()),
    SPPO_MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
  };
  for (const k of QUEUE_KINDS) env[`SPPO_QUEUE_URL_${k.toUpperCase()}`] = queues[k].queue.queueUrl;
  return env;
}

/** AwsSolutions-ECS2 asks for secrets in task definitions to come from Secrets Manager or SSM rather
 * than plain environment variables. Every variable workerEnvironment sets is a name, a region, a
 * queue URL or a number, and the tests check that none looks like a secret; AWS credentials come
 * from the task role, never from the environment. Also: the execution role's one `*` resource. */
function acknowledgeTaskDefinition(taskDefinition: ecs.TaskDefinition): void {
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'The environment holds only non-secret settings: the service name, bucket name, queue prefix and URLs, region, ' +
      'visibility timeout, max receive count and the execution provider. Credentials come from the task role; ' +
      'there is no secret to move to Secrets Manager or SSM.',
  });
  if (taskDefinition.executionRole) {
    Validations.of(taskDefinition.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken supports no resource-level permissions (it returns a registry login). ' +
        'The image pulls themselves are limited to the CDK assets repository and the log writes to the service\'s log group.',
    });
  }
}

interface CommonWorkerProps {
  cluster: ecs.Cluster;
  images: ServiceImages;
  bucket: s3.IBucket;
  queues: QueueSet;
  prefix: string;
  maxTasks: number;
  messagesPerTask: number;
}

export interface GpuWorkerProps extends CommonWorkerProps {
  role: 'generator' | 'judge' | 'trainer';
  kind: 'generate' | 'judge' | 'train';
  capacityProvider: ecs.AsgCapacityProvider;
}

function logDriver(scope: Construct, id: string, service: string): ecs.LogDriver {
  const logGroup = new logs.LogGroup(scope, `${id}-logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
  return ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: service });
}

/** One GPU per task on the service's own capacity provider, 0..maxTasks tasks on backlog. */
export function createGpuWorker(scope: Construct, { role, kind, capacityProvider, cluster, images, bucket, queues, prefix, maxTasks, messagesPerTask }: GpuWorkerProps): ecs.Ec2Service {
  const taskDefinition = new ecs.Ec2TaskDefinition(scope, `${role}-task`, { family: `${prefix}-${role}` });
  taskDefinition.addContainer('worker', {
    image: ecs.ContainerImage.fromDockerImageAsset(images.cuda),
    command: SERVICE_COMMANDS[role],
    environment: { ...workerEnvironment({ service: role, bucket, queues, prefix, kind }), SPPO_EXECUTION_PROVIDER: 'cuda' },
    gpuCount: 1,
    // A soft reservation: placement is decided by the GPU (one per task), and the container may use
    // the host's memory beyond this, whatever the instance size.
    memoryReservationMiB: 4096,
    // The worker loop stops polling on SIGTERM and finishes or abandons (never acks) in-flight work.
    stopTimeout: Duration.minutes(2),
    logging: logDriver(scope, role, role),
  });
  grantServiceAccess(taskDefinition.taskRole, role satisfies ServiceRole, { bucket, queues });
  acknowledgeTaskDefinition(taskDefinition);

  const service = new ecs.Ec2Service(scope, `${role}-service`, {
    cluster,
    serviceName: `${prefix}-${role}`,
    taskDefinition,
    // Start at 0; backlog scaling sets the count. CloudFormation leaves a running count alone on
    // later deploys because this value does not change.
    desiredCount: 0,
    capacityProviderStrategies: [{ capacityProvider: capacityProvider.capacityProviderName, weight: 1 }],
    // A host holds one GPU task: replace in place rather than needing a second GPU during deploys.
    minHealthyPercent: 0,
    maxHealthyPercent: 100,
    circuitBreaker: { rollback: true },
  });
  attachBacklogScaling(service, { queue: queues[kind].queue, minTasks: 0, maxTasks, messagesPerTask });
  return service;
}

export interface EventsWorkerProps extends CommonWorkerProps {
  network: Network;
  minTasks: number;
}

/**
 * The events worker on Fargate (CPU). An ECS service rather than a Lambda: it runs the same Node
 * entry (the gateway package's events consumer, built on packages/cloud's worker loop) as
 * `./sppo up` does locally, from the same image, with no bundling of a second artefact; and it
 * needs no Lambda adapter over the consumer. Cost: one 0.25 vCPU task when minTasks = 1.
 */
export function createEventsWorker(scope: Construct, { network, minTasks, cluster, images, bucket, queues, prefix, maxTasks, messagesPerTask }: EventsWorkerProps): ecs.FargateService {
  const taskDefinition = new ecs.FargateTaskDefinition(scope, 'events-task', {
    family: `${prefix}-events`,
    cpu: 256,
    memoryLimitMiB: 512,
    runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
  });
  taskDefinition.addContainer('worker', {
    image: ecs.ContainerImage.fromDockerImageAsset(images.cpu),
    command: SERVICE_COMMANDS.events,
    environment: workerEnvironment({ service: 'events', bucket, queues, prefix, kind: 'events' }),
    stopTimeout: Duration.seconds(30),
    logging: logDriver(scope, 'events', 'events'),
  });
  grantServiceAccess(taskDefinition.taskRole, 'events', { bucket, queues });
  acknowledgeTaskDefinition(taskDefinition);

  const service = new ecs.FargateService(scope, 'events-service', {
    cluster,
    serviceName: `${prefix}-events`,
    taskDefinition,
    desiredCount: minTasks,
    vpcSubnets: network.workloadSubnets,
    assignPublicIp: network.publicIp,
    minHealthyPercent: minTasks > 0 ? 100 : 0,
    maxHealthyPercent: 200,
    circuitBreaker: { rollback: true },
  });
  attachBacklogScaling(service, { queue: queues.events.queue, minTasks, maxTasks, messagesPerTask });
  return service;
}
