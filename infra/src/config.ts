// The stack's knobs, read from CDK context (infra/cdk.json, or `cdk deploy -c key=value`).
// Every problem is collected before reporting, like workers-sdk's config validation, so a user
// fixes all of them in one go. Values from `-c` arrive as strings; cdk.json gives JSON types.

/** GPU instance families the stack accepts: x86_64 with NVIDIA GPUs, which the ECS GPU AMI and the
 * CUDA image (linux/amd64) support. g5 = A10G 24 GB, g6 = L4 24 GB, g6e = L40S 48 GB. */
export const GPU_FAMILIES = ['g4dn', 'g5', 'g6', 'g6e', 'p4d', 'p5'] as const;

export interface StackConfig {
  /** Name prefix of the stack, the queues (`${prefix}-generate` ...) and the gateway worker. */
  prefix: string;
  /** EC2 instance type for the generator and the judge (one GPU per task). */
  inferenceInstanceType: string;
  /** EC2 instance type for the trainer (one GPU per task; training needs more host memory). */
  trainerInstanceType: string;
  /** Upper bound of tasks (and so of GPU instances) per service; the lower bound is always 0. */
  maxGeneratorTasks: number;
  maxJudgeTasks: number;
  maxTrainerTasks: number;
  /** Backlog (visible + in-flight messages) one task is expected to carry: scaling keeps
   * tasks = ceil(backlog / messagesPerTask). */
  generateMessagesPerTask: number;
  judgeMessagesPerTask: number;
  /** The events worker (round state machine host, CPU Fargate). 1 keeps rounds moving without the
   * minutes-long scale-from-zero delay of SQS metrics; 0 makes an idle deployment free. */
  eventsMinTasks: number;
  eventsMaxTasks: number;
  /** Days after which intermediate shards (generations/, triplets/, train-state/) are deleted. */
  intermediateRetentionDays: number;
  /** Days a replaced or deleted object version is kept (versioning protects checkpoints). */
  noncurrentVersionRetentionDays: number;
  /** Days the log bucket keeps the run bucket's access logs and the VPC flow logs. */
  logRetentionDays: number;
  /** Age of the oldest message (minutes) after which a stage counts as stuck. Training holds its
   * message in flight for the whole round, so its threshold must exceed the longest round. */
  stuckGenerateMinutes: number;
  stuckJudgeMinutes: number;
  stuckTrainMinutes: number;
  /** NAT gateways of the VPC (0 = none: then the GPU hosts sit in public subnets, no inbound rules). */
  natGateways: number;
  /** When set, this address is subscribed to the alarm topic (alarms and GPU host scaling events). */
  alarmEmail: string | undefined;
}

export const DEFAULT_CONFIG: StackConfig = {
  prefix: 'sppo',
  inferenceInstanceType: 'g6.xlarge',
  trainerInstanceType: 'g5.2xlarge',
  maxGeneratorTasks: 4,
  maxJudgeTasks: 4,
  maxTrainerTasks: 1,
  generateMessagesPerTask: 2,
  judgeMessagesPerTask: 2,
  eventsMinTasks: 1,
  eventsMaxTasks: 2,
  intermediateRetentionDays: 14,
  noncurrentVersionRetentionDays: 30,
  logRetentionDays: 90,
  stuckGenerateMinutes: 120,
  stuckJudgeMinutes: 120,
  stuckTrainMinutes: 13 * 60,
  natGateways: 1,
  alarmEmail: undefined,
};

/** Thrown with every invalid context value listed. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid infra context (infra/cdk.json or -c key=value):\n  - ${issues.join('\n  - ')}`);
    this.issues = issues;
  }
}

type NumberKey = { [K in keyof StackConfig]: StackConfig[K] extends number ? K : never }[keyof StackConfig];

const INTEGER_RANGES: Record<NumberKey, [min: number, max: number]> = {
  maxGeneratorTasks: [1, 100],
  maxJudgeTasks: [1, 100],
  maxTrainerTasks: [1, 20],
  generateMessagesPerTask: [1, 1000],
  judgeMessagesPerTask: [1, 1000],
  eventsMinTasks: [0, 10],
  eventsMaxTasks: [1, 10],
  intermediateRetentionDays: [1, 3650],
  noncurrentVersionRetentionDays: [1, 3650],
  logRetentionDays: [1, 3650],
  stuckGenerateMinutes: [5, 7 * 24 * 60],
  stuckJudgeMinutes: [5, 7 * 24 * 60],
  stuckTrainMinutes: [5, 7 * 24 * 60],
  natGateways: [0, 3],
};

/** Resolve the stack config from CDK context values, collecting every problem. Unknown keys are
 * not rejected here because CDK context also carries feature flags and lookups. */
export function resolveStackConfig(context: Record<string, unknown>): StackConfig {
  const issues: string[] = [];
  const config: StackConfig = { ...DEFAULT_CONFIG };

  const prefix = context.prefix;
  if (prefix !== undefined) {
    if (typeof prefix === 'string' && /^[a-z][a-z0-9-]{0,29}$/.test(prefix)) config.prefix = prefix;
    else issues.push(`prefix: ${JSON.stringify(prefix)} is not valid; use 1-30 lowercase letters, digits or '-', starting with a letter (default "sppo")`);
  }

  for (const key of ['inferenceInstanceType', 'trainerInstanceType'] as const) {
    const value = context[key];
    if (value === undefined) continue;
    const family = typeof value === 'string' ? value.split('.')[0] : undefined;
    if (typeof value === 'string' && /^[a-z0-9]+\.[a-z0-9]+$/.test(value) && (GPU_FAMILIES as readonly string[]).includes(family ?? '')) {
      config[key] = value;
    } else {
      issues.push(`${key}: ${JSON.stringify(value)} is not a GPU instance type; use one of the families ${GPU_FAMILIES.join(', ')} (e.g. g5.xlarge, g6.xlarge)`);
    }
  }

  for (const [key, [min, max]] of Object.entries(INTEGER_RANGES) as [NumberKey, [number, number]][]) {
    const raw = context[key];
    if (raw === undefined) continue;
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) config[key] = value;
    else issues.push(`${key}: ${JSON.stringify(raw)} is not valid; use an integer from ${min} to ${max} (default ${DEFAULT_CONFIG[key]})`);
  }

  const email = context.alarmEmail;
  if (email !== undefined && email !== '') {
    if (typeof email === 'string' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) config.alarmEmail = email;
    else issues.push(`alarmEmail: ${JSON.stringify(email)} is not an e-mail address; leave it out for no notifications`);
  }

  if (config.eventsMinTasks > config.eventsMaxTasks) {
    issues.push(`eventsMinTasks (${config.eventsMinTasks}) exceeds eventsMaxTasks (${config.eventsMaxTasks}); lower the first or raise the second`);
  }

  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}
