// The service container images, built from docker/Dockerfile with the repository root as context.
// At synth time a DockerImageAsset only fingerprints and stages its context into cdk.out (or, with
// the CLI's --no-staging / the `aws:cdk:disable-asset-staging` context, references it in place);
// `docker build` runs at `cdk deploy` time, when the asset is published. So synth needs no Docker.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IgnoreMode } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import type { Construct } from 'constructs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DOCKERFILE = 'docker/Dockerfile';

/**
 * The build context, as .dockerignore lines (last match wins): everything is left out, then the
 * workspace manifests and the runtime sources are let back in, then dependencies, build output and
 * tests are left out again. An allow-list keeps a developer's local data, model caches and
 * node_modules out of the image and keeps staging fast. Every workspace manifest is included
 * (infra/tests/bench too) so `pnpm install --frozen-lockfile` sees the same workspace as the lockfile.
 */
export const DOCKER_CONTEXT_EXCLUDE = [
  '*',
  '!package.json',
  '!pnpm-lock.yaml',
  '!pnpm-workspace.yaml',
  '!docker',
  '!packages',
  '!services',
  '!infra/package.json',
  '!tests/package.json',
  '!bench/package.json',
  '**/node_modules',
  '**/.data',
  '**/.wrangler',
  '**/dist',
  '**/cdk.out',
  '**/*.test.ts',
];

export const IMAGE_VARIANTS = ['cpu', 'cuda'] as const;
export type ImageVariant = (typeof IMAGE_VARIANTS)[number];

/** Build arguments of each variant (see docker/Dockerfile). The CUDA variant runs on the CUDA
 * runtime + cuDNN base and sets ONNXRUNTIME_NODE_INSTALL=cuda12 so onnxruntime-node's installer
 * fetches its CUDA execution provider during the image build. */
export const IMAGE_BUILD_ARGS: Record<ImageVariant, Record<string, string>> = {
  cpu: { RUNTIME_IMAGE: 'node:24-bookworm-slim', ONNXRUNTIME_NODE_INSTALL: 'skip' },
  cuda: { RUNTIME_IMAGE: 'nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04', ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
};

export type ServiceImages = Record<ImageVariant, ecrAssets.DockerImageAsset>;

export function createServiceImages(scope: Construct, { repoRoot = REPO_ROOT }: { repoRoot?: string } = {}): ServiceImages {
  const make = (variant: ImageVariant) =>
    new ecrAssets.DockerImageAsset(scope, `image-${variant}`, {
      directory: repoRoot,
      file: DOCKERFILE,
      buildArgs: IMAGE_BUILD_ARGS[variant],
      // GPU hosts (g4dn/g5/g6/p*) and the Fargate events worker are x86_64.
      platform: ecrAssets.Platform.LINUX_AMD64,
      exclude: DOCKER_CONTEXT_EXCLUDE,
      ignoreMode: IgnoreMode.DOCKER,
    });
  return { cpu: make('cpu'), cuda: make('cuda') };
}
