// AWS's own rule pack (cdk-nag 3, AwsSolutionsChecks) against the stack. synthesize() registers it
// on every synthesis in these tests, so an unacknowledged error already fails there, with CDK's
// report (rule, construct path, the source line that made the construct). Here: the configurations
// that change which resources exist, warnings too, and the rules every acknowledgement follows.
// The accepted findings and their reasons are tabled in infra/README.md ("Security checks").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KEY_PATTERN_REASONS, S3_ACCESS, SERVICE_ROLES } from '../src/access.ts';
import { cleanupSynthesized, synthesize, type Synthesized } from './template-helpers.ts';

let defaults: Synthesized;
beforeAll(() => {
  defaults = synthesize();
});
afterAll(cleanupSynthesized);

interface ValidationReport {
  pluginReports: { pluginName: string; violations: { ruleName: string; severity: string; description: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

/** Every AwsSolutions finding left in the report CDK wrote during synthesis (warnings included),
 * one line each: severity, rule, construct path, what is wrong. */
function remainingFindings(outdir: string): string[] {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  return report.pluginReports
    .filter((r) => r.pluginName === 'AwsSolutions')
    .flatMap((r) => r.violations)
    .flatMap((v) => v.violatingConstructs.map((c) => `${v.severity} ${v.ruleName} at ${c.constructPath}: ${v.description}`));
}

test('the defaults: no AwsSolutions finding is left unacknowledged, errors or warnings', () => {
  expect(remainingFindings(defaults.outdir)).toEqual([]);
});

test('another configuration: none either', () => {
  // No NAT (public subnets), an alarm e-mail subscription, no warm events task, another prefix.
  const { outdir } = synthesize({ prefix: 'team1', natGateways: 0, alarmEmail: 'ops@example.com', eventsMinTasks: 0, maxGeneratorTasks: 8 });
  expect(remainingFindings(outdir)).toEqual([]);
});

test('a new finding fails the synthesis and is named: a public bucket, a wildcard key pattern nobody explained', () => {
  const extend = (stack: Stack) => {
    new s3.Bucket(stack, 'scratch-public', { publicReadAccess: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ACLS_ONLY });
    const taskRole = stack.node.findChild('generator-task').node.findChild('TaskRole') as iam.Role;
    const bucket = stack.node.findChild('runs-bucket') as s3.Bucket;
    taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('runs/*/secrets/*')] }));
  };
  let message = '';
  try {
    synthesize({}, { extend });
  } catch (error) {
    message = String(error);
  }
  expect(message).toMatch(/^ValidationFailed/);
  expect(message).toContain("'AwsSolutions::AwsSolutions-S2'");
  expect(message).toContain('sppo/scratch-public/Resource');
  expect(message).toMatch(/AwsSolutions-IAM5\[Resource::<runsbucket\w+\.Arn>\/runs\/\*\/secrets\/\*\]/);
  // The generator's other, explained patterns stay acknowledged.
  expect(message).not.toContain('generations/*');
});

test('acknowledgements sit on the constructs they are about, never on the app or the stack, each with its reason', () => {
  const { stack } = defaults;
  const acknowledged: { path: string; id: string; reason: string }[] = [];
  for (const construct of [stack.node.scope!, ...stack.node.findAll()]) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        // aws-cdk-lib acknowledges its own cfn-lint rules (CloudFormation-Validate::...) on each stack.
        if (id.includes('AwsSolutions-')) acknowledged.push({ path: construct.node.path, id, reason });
      }
    }
  }
  expect(acknowledged.length).toBeGreaterThan(20);
  for (const { path, id, reason } of acknowledged) {
    expect(path, id).not.toBe('');
    expect(path, id).not.toBe(stack.node.path);
    expect(reason.length, `${path} ${id}`).toBeGreaterThan(60);
    // IAM5 findings are acknowledged one by one (the exact action or resource), never as a whole.
    if (id.includes('AwsSolutions-IAM5')) expect(id, path).toMatch(/IAM5\[(Action|Resource)::.+\]$/);
  }
  const ids = new Set(acknowledged.map(({ id }) => id.replace(/^Annotation::/, '').replace(/\[.*$/, '')));
  expect([...ids].sort()).toEqual(['AwsSolutions-ECS2', 'AwsSolutions-IAM5']);
});

test('every S3 key pattern a service is granted has its written reason for the wildcards', () => {
  for (const role of SERVICE_ROLES) {
    const { read, write, delete: del } = S3_ACCESS[role];
    for (const pattern of [...read, ...write, ...del]) expect(KEY_PATTERN_REASONS[pattern], `${role}: ${pattern}`).toBeDefined();
  }
});
