// The network, the ECS cluster and its GPU capacity: one auto scaling group + capacity provider per
// GPU service, each from 0 instances. ECS managed scaling adds instances when a service's tasks
// cannot be placed and removes idle ones, so the GPU hosts follow the task counts that the queue
// backlog drives (scaling.ts) down to zero.
import { Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** Where the VPC flow logs go in the log bucket. */
export const FLOW_LOG_PREFIX = 'vpc-flow-logs/';

export interface NetworkOptions {
  /** 0 = no NAT: everything runs in public subnets with public IPs and no inbound rules. */
  natGateways?: number;
  /** The VPC's flow logs (accepted and rejected traffic) go here, under FLOW_LOG_PREFIX. */
  flowLogBucket: s3.IBucket;
}

export interface Network {
  vpc: ec2.Vpc;
  /** Where tasks and GPU hosts run. */
  workloadSubnets: ec2.SubnetSelection;
  /** Whether hosts and Fargate tasks need a public IP to reach AWS APIs (no NAT). */
  publicIp: boolean;
}

export function createNetwork(scope: Construct, { natGateways = 1, flowLogBucket }: NetworkOptions): Network {
  const privateSubnets = natGateways > 0;
  const vpc = new ec2.Vpc(scope, 'vpc', {
    maxAzs: 2,
    natGateways,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      ...(privateSubnets ? [{ name: 'workers', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 }] : []),
    ],
  });
  // Checkpoints and shards go to S3 through a free gateway endpoint instead of NAT data charges.
  vpc.addGatewayEndpoint('s3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  // To S3 rather than CloudWatch Logs: cheaper per GB, no delivery role, and expired with the
  // other logs by the log bucket's lifecycle rule.
  vpc.addFlowLog('flow-log', { destination: ec2.FlowLogDestination.toS3(flowLogBucket, FLOW_LOG_PREFIX), trafficType: ec2.FlowLogTrafficType.ALL });
  return {
    vpc,
    workloadSubnets: { subnetType: privateSubnets ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC },
    publicIp: !privateSubnets,
  };
}

export interface GpuCapacityOptions {
  cluster: ecs.Cluster;
  network: Network;
  instanceType: string;
  maxInstances: number;
  /** Launches, terminations and their failures (e.g. no GPU capacity or quota) are sent here. */
  notificationTopic: sns.ITopic;
  /** Root volume: the CUDA image (CUDA runtime + cuDNN + onnxruntime CUDA provider) is several GB. */
  rootVolumeGiB?: number;
}

/**
 * A GPU auto scaling group (ECS GPU-optimized Amazon Linux 2023 AMI, resolved from its public SSM
 * parameter at deploy time, so synth needs no lookup) registered as an ECS capacity provider.
 */
export function createGpuCapacity(
  scope: Construct,
  id: string,
  { cluster, network, instanceType, maxInstances, notificationTopic, rootVolumeGiB = 100 }: GpuCapacityOptions,
): ecs.AsgCapacityProvider {
  const group = new autoscaling.AutoScalingGroup(scope, `${id}-hosts`, {
    vpc: network.vpc,
    vpcSubnets: network.workloadSubnets,
    associatePublicIpAddress: network.publicIp ? true : undefined,
    instanceType: new ec2.InstanceType(instanceType),
    machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.GPU),
    minCapacity: 0,
    maxCapacity: maxInstances,
    requireImdsv2: true,
    // Every GPU host that starts or stops costs money, and a launch error is how a missing GPU quota
    // or capacity in the zone shows up: all four events go to the alarm topic.
    notifications: [{ topic: notificationTopic, scalingEvents: autoscaling.ScalingEvents.ALL }],
    blockDevices: [
      {
        deviceName: '/dev/xvda',
        volume: autoscaling.BlockDeviceVolume.ebs(rootVolumeGiB, { volumeType: autoscaling.EbsDeviceVolumeType.GP3, encrypted: true }),
      },
    ],
  });
  const provider = new ecs.AsgCapacityProvider(scope, `${id}-capacity`, {
    autoScalingGroup: group,
    enableManagedScaling: true,
    // 100%: no idle spare host is kept warm; with 0 tasks the group drains to 0 instances.
    targetCapacityPercent: 100,
    // Never terminate a host that still runs a task (a trainer mid-round).
    enableManagedTerminationProtection: true,
  });
  cluster.addAsgCapacityProvider(provider);
  // The host role's policy is aws-cdk-lib's ECS container-instance policy (what the AWS managed
  // AmazonEC2ContainerServiceforEC2Role grants, with the cluster actions scoped to this cluster).
  Validations.of(group.role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Action::ecs:Submit*]',
      reason:
        'The ECS agent reports container, task and attachment state changes (ecs:SubmitContainerStateChange, ' +
        'SubmitTaskStateChange, SubmitAttachmentStateChanges); the statement is limited to this cluster\'s ARN.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecs:DiscoverPollEndpoint and ecr:GetAuthorizationToken support no resource-level permissions; ' +
        'ecs:Poll and ecs:StartTelemetrySession are conditioned on this cluster (ecs:cluster). logs:CreateLogStream/PutLogEvents ' +
        'on * come with aws-cdk-lib\'s instance policy, as with the managed role (for tasks without an execution role); ' +
        'the services here log through their execution roles, which are limited to their own log groups.',
    },
  );
  return provider;
}
