/**
 * Kernel shapes. The fused assignment is a register-blocked tile kernel whose tile is picked
 * by shape: with few centroids a wide centroid tile wastes most of its work (K = 16 in a
 * 128-wide tile is 1/8 useful), so small K gets tall, narrow tiles that read each row once
 * and stay near the memory limit; large K gets 128 × 128 tiles with 8 × 8 per invocation
 * (the configuration the H100 probe kernel ran at 25 TFLOP/s).
 */
export interface TileConfig {
  name: string;
  /** Rows of A per workgroup. */
  TM: number;
  /** Rows of B per tile. */
  TN: number;
  /** Rows / columns per invocation (multiples of 4). */
  RM: number;
  RN: number;
  /** Depth of one shared-memory stage, in floats (multiple of 4). */
  TK: number;
}

export const TILES: Readonly<Record<string, TileConfig>> = {
  // One invocation per row, no tile (assign_rows.wgsl); TM is the rows per workgroup.
  rows: { name: 'rows', TM: 256, TN: 0, RM: 0, RN: 0, TK: 0 },
  k16: { name: 'k16', TM: 256, TN: 16, RM: 4, RN: 4, TK: 16 },
  k32: { name: 'k32', TM: 128, TN: 32, RM: 4, RN: 4, TK: 16 },
  t64: { name: 't64', TM: 64, TN: 64, RM: 4, RN: 4, TK: 16 },
  t128: { name: 't128', TM: 128, TN: 128, RM: 8, RN: 8, TK: 16 },
};

/** Workgroup memory the pairs kernel needs with this tile. */
export function tileBytes(t: TileConfig): number {
  if (t.name === 'rows') return 0;
  const threads = (t.TM / t.RM) * (t.TN / t.RN);
  return (t.TM + t.TN) * t.TK * 4 + threads * 20 + t.TN * 4 + 16;
}

export function tileDefines(t: TileConfig, dp4: number): Record<string, number> {
  return { TM: t.TM, TN: t.TN, RM: t.RM, RN: t.RN, TK: t.TK, DP4: dp4 };
}

/**
 * The assignment kernel for n rows, k centroids of dp4 vec4s, within `workgroupBytes`. A
 * software adapter always gets the row-wise kernel: its JIT neither unrolls nor keeps private
 * arrays in registers, so the tile kernels run ~20× slower there than a plain loop.
 */
export function assignTile(n: number, k: number, dp4: number, workgroupBytes: number, software: boolean, override?: string): TileConfig {
  if (override) {
    const forced = TILES[override];
    if (!forced) throw new Error(`webgpu: unknown tile ${override} (${Object.keys(TILES).join(', ')})`);
    return forced;
  }
  // On an H100 (bench/results/nvidia-*.json) t128 ran 23–24 TFLOP/s at D = 512, K = 256, where
  // a 32-deep stage of the same tile ran 17 (so that variant is gone); at D = 64, K = 16 the
  // row-wise kernel and k16 traded places between runs.
  if (software || (k <= 16 && dp4 <= 32)) return TILES.rows!;
  const order: string[] = k <= 16 ? ['k16', 'k32', 't64'] : k <= 32 ? ['k32', 't64'] : k <= 96 || n <= 8192 ? ['t64'] : ['t128', 't64'];
  for (const name of order) if (tileBytes(TILES[name]!) <= workgroupBytes) return TILES[name]!;
  return TILES.t64!;
}

/** The shader and defines of an assignment kernel. */
export function assignKernel(tile: TileConfig, dp4: number): { shader: string; defines: Record<string, number | boolean> } {
  if (tile.name === 'rows') return { shader: 'assign_rows', defines: { DP4: dp4, CACHE_ROW: dp4 <= 64 } };
  return { shader: 'pairs', defines: { ...tileDefines(tile, dp4), ASSIGN: true } };
}

/** Silhouette's fast path tile (query rows × rows of one cluster). */
export function silhouetteTile(n: number, workgroupBytes: number, override?: string): TileConfig {
  if (override && override !== 'rows') return assignTile(n, n, 1, workgroupBytes, false, override);
  for (const name of n >= 16384 ? ['t128', 't64'] : ['t64']) if (tileBytes(TILES[name]!) <= workgroupBytes) return TILES[name]!;
  return TILES.t64!;
}

/**
 * Defines of a one-row-per-invocation kernel (rows.wgsl, seeding.wgsl): the row width and how
 * rows are read (slab.wgsl). A hardware adapter stages the widest slab of at most 8 vec4s — a
 * full 128-byte line per row — that fits in workgroup memory beside a df32 workgroup sum
 * (reduce.wgsl); a software adapter reads each row directly, whole (see GpuContext.stagedRows).
 */
export function rowKernelDefines(
  dp4: number,
  device: { stagedRows: boolean; limits: { workgroupStorage: number } },
): { DP4: number; SLAB: number; STAGED: boolean } {
  if (!device.stagedRows) return { DP4: dp4, SLAB: dp4, STAGED: false };
  let slab = Math.min(8, pow2(dp4));
  while (slab > 1 && 256 * (slab + 1) * 16 + 256 * 8 > device.limits.workgroupStorage) slab /= 2;
  return { DP4: dp4, SLAB: slab, STAGED: true };
}

/** Next power of two ≥ v. */
export function pow2(v: number): number {
  let p = 1;
  while (p < v) p *= 2;
  return p;
}
