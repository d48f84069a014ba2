// A throwaway local cloud for tests: an emulator on a free loopback port, bootstrapped with a
// unique queue prefix, so tests in parallel files never share queues.
import { randomUUID } from 'node:crypto';
import { bootstrap, type BootstrapOptions, type BootstrapResult } from './bootstrap.ts';
import type { CloudConfig } from './config.ts';
import { startEmulator, type Emulator, type EmulatorOptions } from './emulator.ts';

export interface TestCloud {
  config: CloudConfig;
  emulator: Emulator;
  resources: BootstrapResult;
  stop(): Promise<void>;
}

export interface TestCloudOptions extends BootstrapOptions {
  bucket?: string;
  queuePrefix?: string;
  emulator?: EmulatorOptions;
}

export async function startTestCloud({
  bucket = 'sppo-test',
  queuePrefix = `t${randomUUID().slice(0, 8)}`,
  emulator: emulatorOptions = {},
  ...bootstrapOptions
}: TestCloudOptions = {}): Promise<TestCloud> {
  const emulator = await startEmulator(emulatorOptions);
  const config: CloudConfig = { region: 'us-east-1', bucket, queuePrefix, endpoint: emulator.endpoint };
  try {
    const resources = await bootstrap(config, bootstrapOptions);
    return { config, emulator, resources, stop: () => emulator.stop() };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}
