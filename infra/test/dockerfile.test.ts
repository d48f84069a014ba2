// The Dockerfile cannot be built here (no Docker engine); these checks pin what it relies on.
import { existsSync, globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { DOCKERFILE, IMAGE_BUILD_ARGS, REPO_ROOT } from '../src/images.ts';
import { SERVICE_COMMANDS } from '../src/workers.ts';

const dockerfile = readFileSync(join(REPO_ROOT, DOCKERFILE), 'utf8');

test('every COPY source from the build context exists in the repository', () => {
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
  expect(sources.length).toBeGreaterThan(4);
  for (const source of sources) expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
});

test('the pnpm filters name real workspace packages', () => {
  const filters = [...dockerfile.matchAll(/--filter "([^"]+)\.\.\."/g)].map((m) => m[1]);
  const names = globSync('services/*/package.json', { cwd: REPO_ROOT }).map((f) => (JSON.parse(readFileSync(join(REPO_ROOT, f), 'utf8')) as { name: string }).name);
  expect(filters.length).toBe(4);
  for (const filter of filters) expect(names).toContain(filter);
});

test('the onnxruntime-node installer the CUDA variant runs is where the Dockerfile looks for it', () => {
  expect(dockerfile).toContain('cd node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node');
  expect(globSync('node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/script/install.js', { cwd: REPO_ROOT }).length).toBeGreaterThan(0);
  expect(IMAGE_BUILD_ARGS.cuda.ONNXRUNTIME_NODE_INSTALL).toBe('cuda12');
  expect(IMAGE_BUILD_ARGS.cpu.ONNXRUNTIME_NODE_INSTALL).toBe('skip');
});

test('both variants run on Node 24 and every build argument is declared', () => {
  expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-/m);
  for (const args of Object.values(IMAGE_BUILD_ARGS)) {
    for (const name of Object.keys(args)) expect(dockerfile, name).toMatch(new RegExp(`^ARG ${name}=`, 'm'));
  }
});

test('the service commands are Node entries under services/ (written by the service owners)', () => {
  for (const [, command] of Object.entries(SERVICE_COMMANDS)) {
    expect(command[0]).toBe('node');
    expect(command[1]).toMatch(/^services\/[a-z]+\/src\/[a-z-]+\.ts$/);
  }
});
