import { defineProject } from 'vitest/config';

// Whole-system tests: real emulator, real processes, real models. Slower, so longer timeouts.
export default defineProject({
  test: { name: 'tests', include: ['**/*.test.ts'], exclude: ['**/node_modules/**'], testTimeout: 300_000, hookTimeout: 120_000 },
});
