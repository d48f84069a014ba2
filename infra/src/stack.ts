// The SPPO stack: the run bucket and its log bucket, the four queues with their DLQs, the GPU
// services, the events worker, alarms, the gateway's IAM user, and the outputs the gateway's config
// consumes. It passes AWS's own rule pack (cdk-nag AwsSolutions, see test/nag.test.ts); every
// accepted finding is acknowledged next to its construct with the reason.
// Environment-agnostic (no account/region at synth, no lookups), so `cdk synth` runs offline.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { createAlarms } from './alarms.ts';
import { createGpuCapacity, createNetwork } from './compute.ts';
import { DEFAULT_CONFIG, type StackConfig } from './config.ts';
import { GatewayAccess } from './gateway-access.ts';
import { GATEWAY_VAR_OUTPUTS } from './gateway-vars.ts';
import { createServiceImages, REPO_ROOT } from './images.ts';
import { createQueues, type QueueKind } from './queues.ts';
import { createLogBucket, createRunBucket, IntermediateShardJanitor } from './storage.ts';
import { createEventsWorker, createGpuWorker } from './workers.ts';

export interface SppoStackProps extends StackProps {
  config?: StackConfig;
  /** The repository root: the container images' build context. */
  repoRoot?: string;
}

export class SppoStack extends Stack {
  readonly config: StackConfig;

  constructor(scope: Construct, id: string, { config = DEFAULT_CONFIG, repoRoot = REPO_ROOT, ...props }: SppoStackProps = {}) {
    super(scope, id, { description: `SPPO (Self-Play Preference Optimization) services, prefix ${config.prefix}`, ...props });
    this.config = config;
    const { prefix } = config;

    const logBucket = createLogBucket(this, { retentionDays: config.logRetentionDays });
    const bucket = createRunBucket(this, { noncurrentVersionRetentionDays: config.noncurrentVersionRetentionDays, accessLogBucket: logBucket });
    const queues = createQueues(this, { prefix });
    new IntermediateShardJanitor(this, 'janitor', { bucket, queues, retentionDays: config.intermediateRetentionDays });

    // Always there, so the GPU hosts' scaling notifications and the alarms have somewhere to go;
    // alarmEmail subscribes an address, and anything else (chat, paging) can subscribe later.
    const topic = new sns.Topic(this, 'alarm-topic', { displayName: `SPPO ${prefix} alarms`, enforceSSL: true });
    if (config.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    new CfnOutput(this, 'AlarmTopicArn', { value: topic.topicArn, description: 'SNS topic of the alarms and GPU host scaling events' });

    const network = createNetwork(this, { natGateways: config.natGateways, flowLogBucket: logBucket });
    const cluster = new ecs.Cluster(this, 'cluster', {
      vpc: network.vpc,
      clusterName: prefix,
      // Container Insights with enhanced observability: per-task and per-container CPU, memory,
      // network and restarts, which the GPU services' crash loops and memory pressure show up in.
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    });
    const images = createServiceImages(this, { repoRoot });
    const common = { cluster, images, bucket, queues, prefix };

    const gpuServices = [
      { role: 'generator', kind: 'generate', instanceType: config.inferenceInstanceType, maxTasks: config.maxGeneratorTasks, messagesPerTask: config.generateMessagesPerTask },
      { role: 'judge', kind: 'judge', instanceType: config.inferenceInstanceType, maxTasks: config.maxJudgeTasks, messagesPerTask: config.judgeMessagesPerTask },
      // One train message is a whole round: one task per message.
      { role: 'trainer', kind: 'train', instanceType: config.trainerInstanceType, maxTasks: config.maxTrainerTasks, messagesPerTask: 1 },
    ] as const;
    for (const { role, kind, instanceType, maxTasks, messagesPerTask } of gpuServices) {
      const capacityProvider = createGpuCapacity(this, role, { cluster, network, instanceType, maxInstances: maxTasks, notificationTopic: topic });
      createGpuWorker(this, { ...common, role, kind, capacityProvider, maxTasks, messagesPerTask });
    }
    createEventsWorker(this, {
      ...common,
      network,
      minTasks: config.eventsMinTasks,
      maxTasks: config.eventsMaxTasks,
      // A state machine step takes well under a second: one task drains a large backlog.
      messagesPerTask: 100,
    });

    createAlarms(this, {
      queues,
      prefix,
      stuckMinutes: { generate: config.stuckGenerateMinutes, judge: config.stuckJudgeMinutes, train: config.stuckTrainMinutes },
      topic,
    });

    const gateway = new GatewayAccess(this, 'gateway', { bucket, queues });

    // The gateway's config (gateway-vars.ts maps these to Worker vars).
    new CfnOutput(this, GATEWAY_VAR_OUTPUTS.SPPO_BUCKET, { value: bucket.bucketName, description: 'Run bucket (SPPO_BUCKET)' });
    new CfnOutput(this, GATEWAY_VAR_OUTPUTS.SPPO_REGION, { value: this.region, description: 'Region of the bucket and queues (SPPO_REGION)' });
    const queueOutputs: Record<QueueKind, string> = {
      generate: GATEWAY_VAR_OUTPUTS.SPPO_QUEUE_URL_GENERATE,
      judge: GATEWAY_VAR_OUTPUTS.SPPO_QUEUE_URL_JUDGE,
      train: GATEWAY_VAR_OUTPUTS.SPPO_QUEUE_URL_TRAIN,
      events: GATEWAY_VAR_OUTPUTS.SPPO_QUEUE_URL_EVENTS,
    };
    for (const [kind, output] of Object.entries(queueOutputs) as [QueueKind, string][]) {
      new CfnOutput(this, output, { value: queues[kind].queue.queueUrl, description: `${kind} queue URL (SPPO_QUEUE_URL_${kind.toUpperCase()})` });
    }
    new CfnOutput(this, 'GatewayUserName', {
      value: gateway.user.userName,
      description: 'IAM user whose access key the gateway Worker uses: aws iam create-access-key --user-name <this>',
    });
    new CfnOutput(this, 'ClusterName', { value: cluster.clusterName, description: 'ECS cluster of the SPPO services' });
  }
}
