// Builds the CDK app: used by app.ts (the `cdk` CLI entry) and by the tests, so both synthesize the
// same stack from the same context handling.
import { App } from 'aws-cdk-lib';
import { AUTOSCALING_GENERATE_LAUNCH_TEMPLATE, S3_CREATE_DEFAULT_LOGGING_POLICY, S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { DEFAULT_CONFIG, resolveStackConfig } from './config.ts';
import { SppoStack } from './stack.ts';

export interface BuildOptions {
  /** Context values (the CLI passes cdk.json's and -c ones through the environment instead). */
  context?: Record<string, unknown>;
  /** Where the cloud assembly goes (default: the CLI's choice, or a temp dir). */
  outdir?: string;
  repoRoot?: string;
}

export function buildSppoApp({ context = {}, outdir, repoRoot }: BuildOptions = {}): { app: App; stack: SppoStack } {
  // Launch templates instead of the launch configurations AWS no longer offers to new accounts.
  // Server access logs delivered under a bucket policy, not the log-delivery ACL, which buckets with
  // ObjectOwnership BucketOwnerEnforced (ACLs disabled) refuse. The flow logs' delivery grant written
  // into the log bucket's policy by CloudFormation, not added by EC2 at create time (CloudFormation
  // would drop that statement at its next update of the policy).
  const app = new App({
    outdir,
    context: {
      [AUTOSCALING_GENERATE_LAUNCH_TEMPLATE]: true,
      [S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY]: true,
      [S3_CREATE_DEFAULT_LOGGING_POLICY]: true,
      ...context,
    },
  });
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_CONFIG)) values[key] = app.node.tryGetContext(key);
  const config = resolveStackConfig(Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)));
  const stack = new SppoStack(app, config.prefix, { config, repoRoot, stackName: config.prefix });
  return { app, stack };
}
