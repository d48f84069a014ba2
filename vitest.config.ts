import { defineConfig } from 'vitest/config';

// One runner for the whole workspace: every package, service, infra and the end-to-end tests.
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/*', 'infra', 'tests'],
  },
});
