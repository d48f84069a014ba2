// AWS's own rule pack (cdk-nag 3, AwsSolutionsChecks) against the stack. synthesize() registers it
// on every synthesis in these tests, so an unacknowledged error already fails there, with CDK's
// report (rule, construct path, the source line that made the construct). Here: warnings too, a
// new finding failing, the rules every acknowledgement follows, and what the accepted ones rest on.
// The findings, fixed and accepted, are tabled in infra/README.md ("AWS's rule pack").
import { type Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KEY_PATTERN_REASONS, S3_ACCESS, SERVICE_ROLES } from '../src/access.ts';
import { secretLike } from './secret-like.ts';
import { asList, cleanupSynthesized, remainingFindings, synthesize, type Synthesized } from './template-helpers.ts';

let defaults: Synthesized;
beforeAll(() => {
  defaults = synthesize();
});
afterAll(cleanupSynthesized);

test('the defaults: no AwsSolutions finding is left unacknowledged, errors or warnings', () => {
  expect(remainingFindings(defaults.outdir)).toEqual([]);
});

// The other configuration that changes which resources exist (no NAT, an alarm e-mail, no warm
// events task) is checked the same way in stack.test.ts ("context"), on its synthesis.

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
  // Stored as `Annotation::AwsSolutions-...` (or `AwsSolutions::...`, the form CDK's report suggests).
  const ids = new Set(acknowledged.map(({ id }) => id.replace(/^[\w-]+::/, '').replace(/\[.*$/, '')));
  expect([...ids].sort()).toEqual(['AwsSolutions-ECS2', 'AwsSolutions-IAM5']);
});

test('every S3 key pattern a service is granted has its written reason for the wildcards', () => {
  for (const role of SERVICE_ROLES) {
    const { read, write, delete: del } = S3_ACCESS[role];
    for (const pattern of [...read, ...write, ...del]) expect(KEY_PATTERN_REASONS[pattern], `${role}: ${pattern}`).toBeDefined();
  }
});

test('what the ECS2 acknowledgement rests on: no container or function environment variable looks like a secret', () => {
  const variables: [string, string, unknown][] = [];
  for (const [id, r] of Object.entries(defaults.json.Resources)) {
    if (r.Type === 'AWS::ECS::TaskDefinition') {
      for (const c of asList(r.Properties!.ContainerDefinitions as { Environment?: { Name: string; Value: unknown }[] }[])) {
        for (const { Name, Value } of c.Environment ?? []) variables.push([id, Name, Value]);
      }
    }
    if (r.Type === 'AWS::Lambda::Function') {
      const env = (r.Properties!.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      for (const [name, value] of Object.entries(env)) variables.push([id, name, value]);
    }
  }
  expect(variables.length).toBeGreaterThan(40);
  // Values that are references (a queue URL, the bucket name) are checked by name only.
  const secretLooking = variables.flatMap(([id, name, value]) => {
    const why = secretLike(name, typeof value === 'string' ? value : undefined);
    return why ? [`${id} ${name}: ${why}`] : [];
  });
  expect(secretLooking).toEqual([]);
});
