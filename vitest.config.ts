import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Reference fits on digits and the SwiftShader lane are slow on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
