import type { SeedingState } from '../backend.js';
import type { KernelCall } from './abi.js';
import type { WasmContext } from './context.js';
import { splitRange, type Shard } from './memory.js';
import type { Piece, WasmMatrix } from './resident.js';

interface PieceState {
  piece: Piece;
  /** float32 per row: squared distance to the closest chosen centre. */
  closest: number;
  /** float32 per row and candidate of the last trial. */
  trials: number[];
  /** uint32 table of the trial arrays' pointers (what the kernel writes through). */
  table: number;
  ranges: [number, number][];
}

interface ShardState {
  shard: Shard;
  /** Candidate rows, padded (capacity rows × dp float32). */
  cands: number;
  capacity: number;
  /** float64 per worker and candidate: partial potentials. */
  sums: number[];
  blocks: number[];
}

/**
 * Greedy k-means++ on the workers. The closest squared distances live in shard memory as
 * float32 (each is a float32 SIMD distance, so nothing is lost); the potential and the
 * cumulative sums used to sample are float64, added in row order as the reference does.
 */
export class WasmSeeding implements SeedingState {
  private readonly shards = new Map<Shard, ShardState>();
  private readonly pieces: PieceState[] = [];
  private potentials: Float64Array = new Float64Array(0);
  private disposed = false;
  potential = 0;

  private constructor(
    private readonly context: WasmContext,
    private readonly x: WasmMatrix,
  ) {}

  static async start(context: WasmContext, x: WasmMatrix, firstRow: number): Promise<WasmSeeding> {
    x.assertLive();
    const seeding = new WasmSeeding(context, x);
    try {
      for (const piece of x.pieces) {
        let state = seeding.shards.get(piece.shard);
        if (!state) {
          state = { shard: piece.shard, cands: 0, capacity: 0, sums: [], blocks: [] };
          seeding.shards.set(piece.shard, state);
        }
        const closest = seeding.alloc(state, piece.paddedRows * 4);
        seeding.pieces.push({ piece, closest, trials: [], table: 0, ranges: splitRange(piece.rows, context.threads) });
      }
      // The first centre: closest[i] = ‖x_i − x_first‖², written straight into `closest`.
      for (const p of seeding.pieces) p.trials = [p.closest];
      const [potential] = await seeding.run(Int32Array.of(firstRow), false);
      seeding.potential = potential!;
      for (const p of seeding.pieces) p.trials = [];
    } catch (error) {
      seeding.dispose();
      throw error;
    }
    return seeding;
  }

  private alloc(state: ShardState, bytes: number): number {
    const ptr = this.context.allocIn(state.shard, bytes);
    state.blocks.push(ptr);
    return ptr;
  }

  private free(state: ShardState, ptr: number): void {
    state.shard.release(ptr);
    state.blocks.splice(state.blocks.indexOf(ptr), 1);
  }

  async sample(targets: Float64Array): Promise<Int32Array> {
    this.check();
    // One pass over the rows in order, the running float64 sum compared with the targets in
    // increasing order: the first row whose cumulative sum reaches each target.
    const order = Array.from(targets.keys()).sort((a, b) => targets[a]! - targets[b]!);
    const out = new Int32Array(targets.length).fill(this.x.rows - 1);
    let next = 0;
    let running = 0;
    for (const p of this.pieces) {
      const closest = p.piece.shard.f32(p.closest, p.piece.rows);
      for (let r = 0; r < closest.length && next < order.length; r++) {
        running += closest[r]!;
        while (next < order.length && running >= targets[order[next]!]!) out[order[next++]!] = p.piece.rowStart + r;
      }
    }
    return out;
  }

  async trial(candidateRows: Int32Array): Promise<Float64Array> {
    this.check();
    const t = candidateRows.length;
    for (const p of this.pieces) {
      const state = this.shards.get(p.piece.shard)!;
      if (p.trials.length !== t) {
        for (const ptr of p.trials) this.free(state, ptr);
        if (p.table) this.free(state, p.table);
        p.trials = Array.from({ length: t }, () => this.alloc(state, p.piece.paddedRows * 4));
        p.table = 0;
      }
    }
    this.potentials = await this.run(candidateRows, true);
    return Float64Array.from(this.potentials);
  }

  async commit(index: number): Promise<void> {
    this.check();
    if (!(index >= 0 && index < this.potentials.length)) throw new RangeError(`commit: no trial candidate ${index}`);
    for (const p of this.pieces) {
      const chosen = p.trials[index]!;
      p.trials[index] = p.closest;
      p.closest = chosen;
    }
    this.potential = this.potentials[index]!;
    this.potentials = new Float64Array(0);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const state of this.shards.values()) for (const ptr of state.blocks) state.shard.release(ptr);
    this.shards.clear();
  }

  private check(): void {
    if (this.disposed) throw new Error('wasm: seeding used after dispose()');
    this.x.assertLive();
  }

  /** min(closest, ‖x − candidate‖²) into each piece's trial arrays; returns the potentials. */
  private async run(candidateRows: Int32Array, bounded: boolean): Promise<Float64Array> {
    const { x, context } = this;
    const { dp } = x;
    const t = candidateRows.length;
    const w = context.threads;
    const candidates = new Float32Array(t * dp);
    candidateRows.forEach((row, c) => candidates.set(x.host.row(row), c * dp));
    for (const state of this.shards.values()) {
      if (state.capacity < t) {
        if (state.cands) this.free(state, state.cands);
        for (const ptr of state.sums) this.free(state, ptr);
        state.cands = this.alloc(state, t * dp * 4);
        state.sums = Array.from({ length: w }, () => this.alloc(state, t * 8));
        state.capacity = t;
      }
      state.shard.f32(state.cands, t * dp).set(candidates);
      for (const ptr of state.sums) state.shard.f64(ptr, t).fill(0);
    }
    const batches: KernelCall[][] = Array.from({ length: w }, () => []);
    for (const p of this.pieces) {
      const state = this.shards.get(p.piece.shard)!;
      if (!p.table) p.table = this.alloc(state, Math.max(t, 1) * 4);
      p.piece.shard.u32(p.table, t).set(p.trials);
      p.ranges.forEach(([r0, r1], wi) => {
        if (r1 <= r0) return;
        batches[wi]!.push([
          p.piece.shard.index,
          'seedTrial',
          p.piece.ptr,
          dp,
          r0,
          r1,
          state.cands,
          t,
          bounded ? p.closest : 0,
          p.table,
          state.sums[wi]!,
        ]);
      });
    }
    await context.run(batches, x.rows * Math.max(t, 1) * dp);
    const potentials = new Float64Array(t);
    for (const state of this.shards.values()) {
      for (const ptr of state.sums) {
        const part = state.shard.f64(ptr, t);
        for (let c = 0; c < t; c++) potentials[c]! += part[c]!;
      }
    }
    return potentials;
  }
}
