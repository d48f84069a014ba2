// The gateway runs on Cloudflare Workers, outside AWS, so it signs its S3 and SQS calls (aws4fetch)
// with an IAM user's access key, set as Worker secrets. The user gets one managed policy built from
// the gateway's row of access.ts and nothing else. The access key is deliberately NOT created by
// the stack: a key made in CloudFormation would sit in the template's state or outputs. Create it
// once with `aws iam create-access-key --user-name <GatewayUserName output>` (see infra/README.md).
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { accessStatements, acknowledgeKeyPatterns, type AccessTargets } from './access.ts';

export class GatewayAccess extends Construct {
  readonly user: iam.User;
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, targets: AccessTargets) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'policy', {
      description: 'SPPO gateway (Cloudflare Worker): run records and prompts in S3, send to the SPPO queues',
      statements: accessStatements('gateway', targets),
    });
    acknowledgeKeyPatterns(this.policy, 'gateway', targets.bucket);
    this.user = new iam.User(this, 'user', { managedPolicies: [this.policy] });
  }
}
