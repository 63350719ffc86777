// clusterkit WebAssembly kernels (AssemblyScript, v128 SIMD). Built twice by
// scripts/build-wasm.mjs: plain SIMD, and relaxed SIMD (fused multiply-add), chosen at load time.
// The memory is imported (shared, one per shard); every pointer comes from the host's allocator.
export { lloydStep } from './lloyd';
export { seedSink, seedTrial } from './seeding';
export { distTile, dotTile, innerTile, rowNorms, silhouetteSym, softmaxRows, topStride } from './pairwise';

/** Bytes at the bottom of the memory the module itself uses (static data); the host allocates above. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 when compiled with relaxed SIMD. */
export function relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
