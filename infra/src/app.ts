// The CDK app entry (infra/cdk.json: "app": "node src/app.ts", run by Node 24 type stripping).
import { ConfigError } from './config.ts';
import { buildSppoApp } from './build.ts';

try {
  buildSppoApp().app.synth();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
