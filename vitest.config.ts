import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Without a GPU, the webgpu lane runs on SwiftShader, the CPU Vulkan driver in Debian's chromium
// package. Set CLUSTERKIT_GPU=system to test on the machine's own Vulkan driver instead.
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const useSwiftShader = process.env.CLUSTERKIT_GPU !== 'system' && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    env: {
      XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
      ...(useSwiftShader ? { VK_ICD_FILENAMES: SWIFTSHADER } : {}),
    },
    // Reference fits on digits and the SwiftShader lane are slow on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
