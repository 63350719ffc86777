#!/usr/bin/env node
// Builds the WebAssembly kernels (assembly/*.ts, AssemblyScript) into dist/backends/wasm/:
//   kernels.simd.wasm     v128 SIMD + threads (shared, imported memory)
//   kernels.relaxed.wasm  the same plus relaxed SIMD (fused multiply-add)
// The backend picks one at load time by feature detection.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}dist/backends/wasm/`;
await mkdir(outDir, { recursive: true });

const common = [
  `${root}assembly/index.ts`,
  '-O3',
  '--noAssert',
  '--runtime', 'stub',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory', '1',
  // 65535 pages: 4 GiB − 64 KiB, so that every pointer and end pointer fits in 32 bits.
  '--maximumMemory', '65535',
];

const variants = [
  { name: 'simd', features: 'simd,threads' },
  { name: 'relaxed', features: 'simd,threads,relaxed-simd' },
];

for (const { name, features } of variants) {
  const args = [...common, '--enable', features, '--outFile', `${outDir}kernels.${name}.wasm`];
  if (process.argv.includes('--wat')) args.push('--textFile', `${outDir}kernels.${name}.wat`);
  const { error, stderr } = await asc.main(args);
  if (error) {
    process.stderr.write(stderr.toString());
    console.error(`build-wasm: ${name} failed: ${error.message}`);
    process.exit(1);
  }
}
console.error(`build-wasm: kernels.{${variants.map((v) => v.name).join(',')}}.wasm → ${outDir}`);
