import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { QUEUE_ACCESS, S3_ACCESS, type ServiceRole } from '../src/access.ts';
import { GATEWAY_VAR_OUTPUTS } from '../src/gateway-vars.ts';
import { QUEUE_KINDS } from '../src/queues.ts';
import { allStatements, asList, cleanupSynthesized, findIds, remainingFindings, render, synthesize, type Resource, type Statement, type Synthesized } from './template-helpers.ts';

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});
afterAll(cleanupSynthesized);

const resources = (type: string): [string, Resource][] => Object.entries(s.json.Resources).filter(([, r]) => r.Type === type);
/** The run bucket (the other bucket is its access-log bucket, which is not versioned). */
const bucketId = () => findIds(s.json, 'AWS::S3::Bucket', (p) => p.VersioningConfiguration !== undefined)[0]!;
const logBucketId = () => findIds(s.json, 'AWS::S3::Bucket', (p) => p.VersioningConfiguration === undefined)[0]!;
const queueId = (name: string) => findIds(s.json, 'AWS::SQS::Queue', (p) => p.QueueName === name)[0]!;

/** Statements of the policies attached to the task role of the service whose task family is given. */
function taskRoleStatements(family: string): Statement[] {
  const [, taskDef] = resources('AWS::ECS::TaskDefinition').find(([, r]) => r.Properties?.Family === family)!;
  const roleId = render(taskDef.Properties!.TaskRoleArn).replace(/\.Arn$/, '');
  return resources('AWS::IAM::Policy')
    .filter(([, r]) => asList(r.Properties!.Roles as unknown[]).some((ref) => render(ref) === roleId))
    .flatMap(([, r]) => asList((r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement));
}

/** The object key patterns a statement list grants an action on, as "pattern" (bucket ARN stripped). */
function objectPatterns(statements: Statement[], action: string): string[] {
  const arn = `${bucketId()}.Arn/`;
  return statements
    .filter((st) => st.Effect === 'Allow' && asList(st.Action).includes(action))
    .flatMap((st) => asList(st.Resource).map(render))
    .filter((r) => r.startsWith(arn))
    .map((r) => r.slice(arn.length))
    .sort();
}

describe('queues', () => {
  test('the four stage queues exist by name, each with its DLQ after 5 receives', () => {
    for (const kind of QUEUE_KINDS) {
      const queue = s.json.Resources[queueId(`sppo-${kind}`)]!;
      const dlqId = queueId(`sppo-${kind}-dlq`);
      expect(dlqId, `${kind} dlq`).toBeDefined();
      expect(queue.Properties!.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 });
    }
  });

  test('every queue that is not a DLQ has a redrive policy', () => {
    const queues = resources('AWS::SQS::Queue');
    expect(queues).toHaveLength(8);
    for (const [id, q] of queues) {
      if (String(q.Properties!.QueueName).endsWith('-dlq')) continue;
      expect(q.Properties!.RedrivePolicy, id).toBeDefined();
    }
  });

  test('visibility timeouts are sized per stage', () => {
    const visibility = (name: string) => s.json.Resources[queueId(name)]!.Properties!.VisibilityTimeout;
    expect(visibility('sppo-generate')).toBe(900);
    expect(visibility('sppo-judge')).toBe(900);
    expect(visibility('sppo-train')).toBe(3600);
    expect(visibility('sppo-events')).toBe(60);
  });
});

describe('bucket', () => {
  test('encrypted, public access blocked, versioned', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  test('the bucket policy denies every request without TLS', () => {
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('no lifecycle rule ever expires a current object (checkpoints are kept); old versions and uploads are cleaned', () => {
    const bucket = s.json.Resources[bucketId()]!;
    const rules = (bucket.Properties!.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    for (const rule of rules) {
      expect(rule.ExpirationInDays, JSON.stringify(rule)).toBeUndefined();
      expect(rule.ExpirationDate).toBeUndefined();
    }
    expect(rules.some((r) => r.NoncurrentVersionExpiration)).toBe(true);
    expect(rules.some((r) => r.AbortIncompleteMultipartUpload)).toBe(true);
  });

  test('access to it is logged to a log bucket that blocks public access, requires TLS and expires the logs, as do the VPC flow logs', () => {
    expect(findIds(s.json, 'AWS::S3::Bucket')).toHaveLength(2);
    const logBucket = s.json.Resources[logBucketId()]!.Properties!;
    expect(s.json.Resources[bucketId()]!.Properties!.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logBucketId() }, LogFilePrefix: 'runs-bucket-access/' });
    expect(logBucket).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    const rules = (logBucket.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' }));
    const [, policy] = resources('AWS::S3::BucketPolicy').find(([, p]) => render(p.Properties!.Bucket) === logBucketId())!;
    const statements = (policy.Properties!.PolicyDocument as { Statement: (Statement & { Principal?: unknown })[] }).Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    // Writers: S3 server access logging (only from the run bucket) and VPC flow log delivery.
    const writers = statements.filter((st) => st.Effect === 'Allow' && asList(st.Action).includes('s3:PutObject'));
    expect(writers.map((st) => JSON.stringify(st.Principal)).sort()).toEqual(['{"Service":"delivery.logs.amazonaws.com"}', '{"Service":"logging.s3.amazonaws.com"}']);
    s.template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 's3',
      LogDestination: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logBucketId(), 'Arn'] }, '/vpc-flow-logs/']] },
    });
  });

  test('the janitor expires intermediate shards after the configured days, and may delete nothing else', () => {
    const [, fn] = resources('AWS::Lambda::Function')[0]!;
    expect(fn.Properties!.Runtime).toBe('nodejs24.x');
    expect((fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables.RETENTION_DAYS).toBe('14');
    const deletes = allStatements(s.json)
      .filter(({ statement }) => asList(statement.Action).some((a) => a === 's3:DeleteObject' || a === 's3:*' || a === '*'))
      .flatMap(({ statement }) => asList(statement.Resource).map(render));
    for (const resource of deletes) expect(resource).toMatch(/\/runs\/\*\/round=\*\/(generations|triplets|train-state)\/\*$/);
    s.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
  });
});

describe('IAM', () => {
  test('no statement allows a wildcard action on a wildcard resource', () => {
    const statements = allStatements(s.json);
    expect(statements.length).toBeGreaterThan(20);
    for (const { policy, statement } of statements) {
      if (statement.Effect !== 'Allow') continue;
      const anyResource = asList(statement.Resource).some((r) => render(r) === '*');
      const wildcardActions = asList(statement.Action).filter((a) => a === '*' || a.endsWith(':*'));
      expect(anyResource && wildcardActions.length > 0, `${policy}: ${JSON.stringify(statement)}`).toBe(false);
    }
  });

  test('no statement allows s3:* or object access to the whole bucket', () => {
    const wholeBucket = `${bucketId()}.Arn/*`;
    for (const { policy, statement } of allStatements(s.json)) {
      if (statement.Effect !== 'Allow') continue;
      expect(asList(statement.Action), policy).not.toContain('s3:*');
      expect(asList(statement.Resource).map(render), policy).not.toContain(wholeBucket);
    }
  });

  const services: [ServiceRole, string][] = [
    ['generator', 'sppo-generator'],
    ['judge', 'sppo-judge'],
    ['trainer', 'sppo-trainer'],
    ['events', 'sppo-events'],
  ];
  test.each(services)('%s task role reads, writes and deletes only its own prefixes', (role, family) => {
    const statements = taskRoleStatements(family);
    expect(objectPatterns(statements, 's3:GetObject')).toEqual([...S3_ACCESS[role].read].sort());
    expect(objectPatterns(statements, 's3:PutObject')).toEqual([...S3_ACCESS[role].write].sort());
    expect(objectPatterns(statements, 's3:DeleteObject')).toEqual([...S3_ACCESS[role].delete].sort());
  });

  test('the stage workers cannot write each other\'s outputs', () => {
    const writes = (family: string) => objectPatterns(taskRoleStatements(family), 's3:PutObject').join(' ');
    expect(writes('sppo-generator')).not.toMatch(/checkpoints|triplets|_manifest/);
    expect(writes('sppo-judge')).not.toMatch(/checkpoints|generations|_manifest/);
    expect(writes('sppo-trainer')).not.toMatch(/generations|triplets|_manifest/);
    expect(writes('sppo-trainer')).toMatch(/checkpoints/);
    expect(writes('sppo-events')).toMatch(/_manifest/);
  });

  test.each(services)('%s consumes only its own queue and sends only where its table says', (role, family) => {
    const statements = taskRoleStatements(family);
    const queuesFor = (action: string) =>
      statements
        .filter((st) => asList(st.Action).includes(action))
        .flatMap((st) => asList(st.Resource).map(render))
        .map((arn) => Object.entries(s.json.Resources).find(([id]) => arn === `${id}.Arn`)?.[1].Properties?.QueueName)
        .sort();
    expect(queuesFor('sqs:ReceiveMessage')).toEqual(QUEUE_ACCESS[role].consume.map((k) => `sppo-${k}`).sort());
    const sends = [...QUEUE_ACCESS[role].send.map((k) => `sppo-${k}`), ...QUEUE_ACCESS[role].consume.map((k) => `sppo-${k}-dlq`)].sort();
    expect(queuesFor('sqs:SendMessage')).toEqual(sends);
  });

  test('the gateway user has exactly its managed policy: run records, prompts (and evaluation prompts), status and the base checkpoint copy, and sends to the queues', () => {
    const [userId, user] = resources('AWS::IAM::User')[0]!;
    expect(user.Properties!.Policies, userId).toBeUndefined();
    const [, policy] = resources('AWS::IAM::ManagedPolicy')[0]!;
    const statements = asList((policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
    expect(objectPatterns(statements, 's3:PutObject')).toEqual(['runs/*/checkpoints/0/*', 'runs/*/eval/prompts.jsonl', 'runs/*/prompts/*', 'runs/*/run.json', 'runs/*/status*']);
    expect(objectPatterns(statements, 's3:GetObject')).toContain('models/*');
    expect(objectPatterns(statements, 's3:DeleteObject')).toEqual([]);
    const sendTo = statements.filter((st) => asList(st.Action).includes('sqs:SendMessage')).flatMap((st) => asList(st.Resource).map(render));
    expect(sendTo.sort()).toEqual(QUEUE_KINDS.map((k) => `${queueId(`sppo-${k}`)}.Arn`).sort());
    expect(statements.some((st) => asList(st.Action).includes('sqs:ReceiveMessage'))).toBe(false);
    expect(asList(user.Properties!.ManagedPolicyArns).map(render)).toHaveLength(1);
    // No access key in the template: the secret must never sit in CloudFormation.
    expect(resources('AWS::IAM::AccessKey')).toHaveLength(0);
  });
});

describe('GPU services and scaling', () => {
  test.each([
    ['sppo-generator', 'services/generator/src/main.ts'],
    ['sppo-judge', 'services/judge/src/main.ts'],
    ['sppo-trainer', 'services/trainer/src/main.ts'],
  ])('%s requests one GPU and runs %s', (family, entry) => {
    s.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: family,
      RequiresCompatibilities: ['EC2'],
      ContainerDefinitions: [Match.objectLike({ Command: ['node', entry], ResourceRequirements: [{ Type: 'GPU', Value: '1' }] })],
    });
  });

  test('GPU hosts: g6/g5 instance types from the ECS GPU-optimized AMI, scaling from 0 instances', () => {
    const templates = resources('AWS::EC2::LaunchTemplate').map(([, r]) => r.Properties!.LaunchTemplateData as Record<string, unknown>);
    expect(templates.map((t) => t.InstanceType).sort()).toEqual(['g5.2xlarge', 'g6.xlarge', 'g6.xlarge']);
    for (const t of templates) expect(render(t.ImageId)).toMatch(/ecsoptimizedamiamazonlinux2023gpurecommendedimageid/i);
    const params = Object.values((s.json as unknown as { Parameters: Record<string, { Default?: string }> }).Parameters).map((p) => p.Default);
    expect(params).toContain('/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id');
    for (const [, asg] of resources('AWS::AutoScaling::AutoScalingGroup')) expect(asg.Properties!.MinSize).toBe('0');
    const providers = resources('AWS::ECS::CapacityProvider');
    expect(providers).toHaveLength(3);
    for (const [, p] of providers) {
      expect(p.Properties!.AutoScalingGroupProvider).toMatchObject({ ManagedScaling: { Status: 'ENABLED', TargetCapacity: 100 }, ManagedTerminationProtection: 'ENABLED' });
    }
  });

  test('every service scales on its queue backlog; the GPU services down to 0', () => {
    const targets = resources('AWS::ApplicationAutoScaling::ScalableTarget');
    expect(targets).toHaveLength(4);
    const minByService = Object.fromEntries(targets.map(([, t]) => [render(t.Properties!.ResourceId), t.Properties!.MinCapacity]));
    const gpuMins = Object.entries(minByService).filter(([id]) => /generator|judge|trainer/.test(id));
    expect(gpuMins).toHaveLength(3);
    for (const [id, min] of gpuMins) expect(min, id).toBe(0);
    const policies = resources('AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(policies).toHaveLength(8);
    for (const [, p] of policies) expect((p.Properties!.StepScalingPolicyConfiguration as { AdjustmentType: string }).AdjustmentType).toBe('ExactCapacity');
    // Scaling alarms watch visible + in-flight messages of the service's own queue.
    const scalingAlarms = resources('AWS::CloudWatch::Alarm').filter(([, a]) => asList(a.Properties!.Metrics as unknown[]).length > 0);
    expect(scalingAlarms).toHaveLength(8);
    for (const [, a] of scalingAlarms) {
      const metrics = a.Properties!.Metrics as { Expression?: string }[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('visible + inflight');
    }
  });

  test('the events worker is a CPU Fargate service running the gateway package\'s events consumer, one task kept warm', () => {
    s.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'sppo-events',
      RequiresCompatibilities: ['FARGATE'],
      ContainerDefinitions: [Match.objectLike({ Command: ['node', 'services/gateway/src/events-main.ts'] })],
    });
    s.template.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'sppo-events', LaunchType: 'FARGATE', DesiredCount: 1 });
  });
});

describe('alarms and outputs', () => {
  test('one alarm per DLQ on depth > 0, and stuck-stage alarms on the age of the oldest message', () => {
    for (const kind of QUEUE_KINDS) {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `sppo-${kind}-dlq-not-empty`,
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId(`sppo-${kind}-dlq`), 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    for (const [kind, minutes] of [['generate', 120], ['judge', 120], ['train', 780]] as const) {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `sppo-${kind}-stuck`,
        MetricName: 'ApproximateAgeOfOldestMessage',
        Threshold: minutes * 60,
      });
    }
    // The topic exists without alarmEmail too (it has no subscription then) and every alarm notifies it.
    expect(resources('AWS::SNS::Topic')).toHaveLength(1);
    expect(resources('AWS::SNS::Subscription')).toHaveLength(0);
    const topicId = resources('AWS::SNS::Topic')[0]![0];
    const stageAlarms = resources('AWS::CloudWatch::Alarm').filter(([, a]) => /-(dlq-not-empty|stuck)$/.test(String(a.Properties!.AlarmName)));
    expect(stageAlarms).toHaveLength(7);
    for (const [id, a] of stageAlarms) expect(asList(a.Properties!.AlarmActions).map(render), id).toEqual([topicId]);
  });

  test('the GPU host groups report launches, terminations and their errors to the alarm topic', () => {
    const topicId = resources('AWS::SNS::Topic')[0]![0];
    const groups = resources('AWS::AutoScaling::AutoScalingGroup');
    expect(groups).toHaveLength(3);
    for (const [id, g] of groups) {
      expect(g.Properties!.NotificationConfigurations, id).toEqual([
        {
          TopicARN: { Ref: topicId },
          NotificationTypes: ['autoscaling:EC2_INSTANCE_LAUNCH', 'autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'autoscaling:EC2_INSTANCE_TERMINATE', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR'],
        },
      ]);
    }
  });

  test('the cluster has Container Insights with enhanced observability', () => {
    s.template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
  });

  test('outputs carry what the gateway config needs', () => {
    const outputs = Object.keys(s.json.Outputs ?? {});
    for (const name of Object.values(GATEWAY_VAR_OUTPUTS)) expect(outputs).toContain(name);
    expect(outputs).toContain('GatewayUserName');
  });
});

describe('container image assets', () => {
  test('staged without Docker: the allow-listed context, no node_modules, no tests', () => {
    const manifest = s.json as unknown as Record<string, unknown>;
    expect(manifest).toBeDefined();
    const staged = readdirSync(s.outdir).filter((d) => d.startsWith('asset.') && existsSync(join(s.outdir, d, 'docker/Dockerfile')));
    expect(staged).toHaveLength(2); // cpu and cuda variants
    const dir = join(s.outdir, staged[0]!);
    for (const file of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'services/gateway/src/worker.ts', 'infra/package.json']) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    for (const absent of ['node_modules', 'services/gateway/node_modules', 'infra/src', 'README.md', 'services/gateway/src/app.test.ts']) {
      expect(existsSync(join(dir, absent)), absent).toBe(false);
    }
  });
});

describe('context', () => {
  test('prefix, instance types, limits and the alarm e-mail come from context', () => {
    const custom = synthesize({
      prefix: 'team1',
      inferenceInstanceType: 'g5.xlarge',
      maxGeneratorTasks: '8',
      alarmEmail: 'ops@example.com',
      natGateways: 0,
      eventsMinTasks: 0,
    });
    const names = Object.values(custom.json.Resources).filter((r) => r.Type === 'AWS::SQS::Queue').map((r) => r.Properties!.QueueName);
    expect(names.sort()).toEqual(QUEUE_KINDS.flatMap((k) => [`team1-${k}`, `team1-${k}-dlq`]).sort());
    custom.template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ InstanceType: 'g5.xlarge' }) });
    custom.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MaxCapacity: 8, MinCapacity: 0 });
    custom.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    custom.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const withActions = Object.values(custom.json.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties!.AlarmActions);
    const alarmNames = withActions.map((r) => String(r.Properties!.AlarmName));
    expect(alarmNames.filter((n) => n.endsWith('-dlq-not-empty'))).toHaveLength(4);
    expect(alarmNames.filter((n) => n.endsWith('-stuck'))).toHaveLength(3);
    custom.template.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'team1-events', DesiredCount: 0 });
    // AWS's rule pack passes here too (public subnets, the e-mail subscription), warnings included.
    expect(remainingFindings(custom.outdir)).toEqual([]);
  });
});
