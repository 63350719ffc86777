import type { KnnResult, Metric, SimilarityResult } from '../backend.js';
import { rowNorms as hostRowNorms } from '../js/kernels.js';
import { DIST_MODE, DOT_MODE, topStride, type KernelCall } from './abi.js';
import { Scratch, type WasmContext } from './context.js';
import { splitRange } from './memory.js';
import { copyRowRange, type Piece, type WasmMatrix } from './resident.js';

/** Bytes of per-worker scratch the tile kernels use for lane spills. */
const TILE_TMP = 64;

/** A block of work on one piece: query rows [q0, q1) against target rows [t0, t1). */
interface Item {
  worker: number;
  q0: number;
  q1: number;
  t0: number;
  t1: number;
  /** Index of the per-split output (0 when queries are split: outputs do not overlap). */
  split: number;
}

/**
 * Splits queries × targets among the workers: by queries when there are enough of them (each
 * worker writes its own rows), else by targets (each worker its own partial output). `byTargets`
 * fixes the choice (decided once for all the query blocks of a call).
 */
function plan(queries: number, targets: number, workers: number, byTargets = splitByTargets(queries, targets, workers)): { items: Item[]; splits: number } {
  if (!byTargets) {
    const items = splitRange(queries, workers).map(([q0, q1], worker) => ({ worker, q0, q1, t0: 0, t1: targets, split: 0 }));
    return { items: items.filter((item) => item.q1 > item.q0), splits: 1 };
  }
  const items = splitRange(targets, workers).map(([t0, t1], worker) => ({ worker, q0: 0, q1: queries, t0, t1, split: worker }));
  return { items: items.filter((item) => item.t1 > item.t0), splits: workers };
}

function splitByTargets(queries: number, targets: number, workers: number): boolean {
  return workers > 1 && queries < 4 * workers && targets >= 4 * workers;
}

/**
 * Query sub-blocks [from, to) of [0, q) small enough that their scratch (`perQuery` bytes each,
 * plus `fixed`) takes at most half of what the shard has free: a shard is never overfilled by
 * one call, however large the block the algorithm asks for.
 */
function* queryBlocks(q: number, perQuery: number, fixed: number, piece: Piece): Generator<[number, number]> {
  const room = Math.max(0, piece.shard.available / 2 - fixed);
  const size = Math.max(4, Math.floor(room / perQuery / 4) * 4);
  for (let from = 0; from < q; from += size) yield [from, Math.min(q, from + size)];
}

/** Rows [start, end) of `a` copied into `piece`'s shard (padded to 4 rows), for tiles against it. */
function queryCopy(scratch: Scratch, a: WasmMatrix, start: number, end: number, piece: Piece): number {
  const padded = Math.ceil((end - start) / 4) * 4;
  const ptr = scratch.in(piece.shard, padded * a.dp * 4);
  copyRowRange(a.host, start, end, piece.shard.f32(ptr, padded * a.dp), a.dp);
  return ptr;
}

/** Float64 norms of every row of a piece, kept with the matrix (cosine metrics). */
async function pieceNorms(context: WasmContext, m: WasmMatrix, piece: Piece): Promise<number> {
  let ptr = m.norms.get(piece);
  if (ptr !== undefined) return ptr;
  ptr = context.allocIn(piece.shard, piece.rows * 8);
  m.norms.set(piece, ptr);
  const batches: KernelCall[][] = splitRange(piece.rows, context.threads).map(([r0, r1]) =>
    r1 > r0 ? [[piece.shard.index, 'rowNorms', piece.ptr, r0, r1, m.cols, m.dp, ptr! + r0 * 8]] : [],
  );
  await context.run(batches, piece.rows * m.dp);
  return ptr;
}

/**
 * (end − start) × b.rows values of `metric` between rows [start, end) of `a` and every row of
 * `b`; 'inner' gives the fast inner products (innerTile) of Backend.innerProducts.
 */
export async function distances(context: WasmContext, a: WasmMatrix, b: WasmMatrix, metric: Metric | 'inner', start: number, end: number): Promise<Float32Array> {
  a.assertLive();
  b.assertLive();
  const out = new Float32Array((end - start) * b.rows);
  const euclidean = metric === 'sqeuclidean' || metric === 'euclidean';
  const scratch = new Scratch(context);
  try {
    for (const piece of b.pieces) {
      const { shard } = piece;
      const tn = metric === 'cosine' ? await pieceNorms(context, b, piece) : 0;
      for (const [from, to] of queryBlocks(end - start, a.dp * 4 + piece.rows * 4 + 8, context.threads * TILE_TMP, piece)) {
        const q = to - from;
        const queries = queryCopy(scratch, a, start + from, start + to, piece);
        const result = scratch.in(shard, q * piece.rows * 4);
        const tmp = Array.from({ length: context.threads }, () => scratch.in(shard, TILE_TMP));
        let qn = 0;
        if (metric === 'cosine') {
          qn = scratch.in(shard, q * 8);
          await context.run([[[shard.index, 'rowNorms', queries, 0, q, a.cols, a.dp, qn]]], q * a.dp);
        }
        const batches: KernelCall[][] = Array.from({ length: context.threads }, () => []);
        for (const item of plan(q, piece.rows, context.threads, splitByTargets(end - start, piece.rows, context.threads)).items) {
          const at = result + (item.q0 * piece.rows + item.t0) * 4;
          batches[item.worker]!.push(
            metric === 'inner'
              ? [shard.index, 'innerTile', queries, item.q0, item.q1, piece.ptr, item.t0, item.t1, a.dp, at, piece.rows]
              : euclidean
                ? [shard.index, 'distTile', metric === 'euclidean' ? DIST_MODE.EUCLID : DIST_MODE.SQ, queries, item.q0, item.q1, piece.ptr, item.t0, item.t1, a.dp, at, piece.rows, 0, 0, tmp[item.worker]!]
                : [shard.index, 'dotTile', metric === 'dot' ? DOT_MODE.DOT : DOT_MODE.COSINE, queries, item.q0, item.q1, piece.ptr, item.t0, item.t1, a.dp, at, piece.rows, 0, qn + item.q0 * 8, tn, 1],
          );
        }
        await context.run(batches, q * piece.rows * a.dp);
        const values = shard.f32(result, q * piece.rows);
        for (let i = 0; i < q; i++) out.set(values.subarray(i * piece.rows, (i + 1) * piece.rows), (from + i) * b.rows + piece.rowStart);
        scratch.release();
      }
    }
  } finally {
    scratch.release();
  }
  return out;
}

export async function knn(context: WasmContext, a: WasmMatrix, b: WasmMatrix, k: number, metric: Metric, start: number, end: number): Promise<KnnResult> {
  a.assertLive();
  b.assertLive();
  const q = end - start;
  const stride = topStride(k);
  const sign = metric === 'dot' ? -1 : 1;
  // Candidate lists per query from every (piece, split); merged below.
  const lists: { keys: Float64Array; ids: Int32Array; sizes: Int32Array }[] = [];
  const scratch = new Scratch(context);
  try {
    for (const piece of b.pieces) {
      const { shard } = piece;
      const tn = metric === 'cosine' ? await pieceNorms(context, b, piece) : 0;
      const byTargets = splitByTargets(q, piece.rows, context.threads);
      const splits = plan(q, piece.rows, context.threads, byTargets).splits;
      const pieceLists = Array.from({ length: splits }, () => ({ keys: new Float64Array(q * k), ids: new Int32Array(q * k), sizes: new Int32Array(q) }));
      lists.push(...pieceLists);
      for (const [from, to] of queryBlocks(q, a.dp * 4 + splits * stride + 8, context.threads * TILE_TMP, piece)) {
        const qb = to - from;
        const queries = queryCopy(scratch, a, start + from, start + to, piece);
        const tmp = Array.from({ length: context.threads }, () => scratch.in(shard, TILE_TMP));
        let qn = 0;
        if (metric === 'cosine') {
          qn = scratch.in(shard, qb * 8);
          await context.run([[[shard.index, 'rowNorms', queries, 0, qb, a.cols, a.dp, qn]]], qb * a.dp);
        }
        const { items } = plan(qb, piece.rows, context.threads, byTargets);
        const states = Array.from({ length: splits }, () => scratch.zeroed(shard, qb * stride));
        const batches: KernelCall[][] = Array.from({ length: context.threads }, () => []);
        for (const item of items) {
          const state = states[item.split]! + item.q0 * stride;
          const id = piece.rowStart + item.t0;
          if (metric === 'sqeuclidean' || metric === 'euclidean') {
            batches[item.worker]!.push([shard.index, 'distTile', DIST_MODE.KNN, queries, item.q0, item.q1, piece.ptr, item.t0, item.t1, a.dp, state, k, id, metric === 'euclidean' ? 1 : 0, tmp[item.worker]!]);
          } else {
            const mode = metric === 'dot' ? DOT_MODE.KNN_DOT : DOT_MODE.KNN_COSINE;
            batches[item.worker]!.push([shard.index, 'dotTile', mode, queries, item.q0, item.q1, piece.ptr, item.t0, item.t1, a.dp, state, k, id, qn + item.q0 * 8, tn, 1]);
          }
        }
        await context.run(batches, qb * piece.rows * a.dp);
        states.forEach((state, split) => {
          const { keys, ids, sizes } = pieceLists[split]!;
          const view = shard.view(state, qb * stride);
          for (let i = 0; i < qb; i++) {
            const base = i * stride;
            const size = view.getInt32(base, true);
            sizes[from + i] = size;
            for (let j = 0; j < size; j++) {
              keys[(from + i) * k + j] = view.getFloat64(base + 8 + j * 8, true);
              ids[(from + i) * k + j] = view.getInt32(base + 8 + k * 8 + j * 4, true);
            }
          }
        });
        scratch.release();
      }
    }
  } finally {
    scratch.release();
  }

  const indices = new Int32Array(q * k);
  const values = new Float32Array(q * k);
  const merged: { key: number; id: number }[] = [];
  for (let i = 0; i < q; i++) {
    if (lists.length === 1) {
      const list = lists[0]!;
      for (let j = 0; j < k; j++) {
        indices[i * k + j] = list.ids[i * k + j]!;
        values[i * k + j] = sign * list.keys[i * k + j]!;
      }
      continue;
    }
    merged.length = 0;
    for (const list of lists) {
      for (let j = 0; j < list.sizes[i]!; j++) merged.push({ key: list.keys[i * k + j]!, id: list.ids[i * k + j]! });
    }
    // Equal keys: the lower index first, as a scan in index order keeps them.
    merged.sort((x, y) => x.key - y.key || x.id - y.id);
    for (let j = 0; j < k; j++) {
      indices[i * k + j] = merged[j]!.id;
      values[i * k + j] = sign * merged[j]!.key;
    }
  }
  return { indices, distances: values };
}

export async function clusterDistanceSums(
  context: WasmContext,
  x: WasmMatrix,
  labels: Int32Array,
  k: number,
  start: number,
  end: number,
): Promise<Float64Array> {
  x.assertLive();
  const q = end - start;
  const out = new Float64Array(q * k);
  const w = context.threads;
  const scratch = new Scratch(context);
  try {
    const whole = x.pieces.length === 1 && start === 0 && end === x.rows;
    const n = x.rows;
    const padded = Math.ceil(n / 4) * 4;
    if (whole && (w * n * k + padded * x.dp + 2 * padded) * 8 <= Math.min(x.pieces[0]!.shard.available / 2, 1 << 30)) {
      // Every pair once, on a copy sorted by label in interleaved 4-row blocks (see
      // assembly/pairwise.ts silhouetteSym); each worker adds both ways into its own n × k sums.
      const piece = x.pieces[0]!;
      const { shard } = piece;
      const order = sortByLabel(labels, n, k);
      const nv = x.dp / 4;
      const copy = scratch.zeroed(shard, padded * x.dp * 4);
      const dst = shard.f32(copy, padded * x.dp);
      for (let s = 0; s < n; s++) {
        const row = x.host.row(order[s]!);
        const base = (s >> 2) * nv * 16 + (s & 3) * 4;
        for (let j = 0; j < x.cols; j++) dst[base + (j >> 2) * 16 + (j & 3)] = row[j]!;
      }
      const labelPtr = scratch.in(shard, (padded + 4) * 4);
      const sorted = shard.i32(labelPtr, padded + 4).fill(-1);
      for (let s = 0; s < n; s++) sorted[s] = labels[order[s]!]!;
      const outs = Array.from({ length: w }, () => scratch.zeroed(shard, n * k * 8));
      const batches: KernelCall[][] = outs.map((ptr, wi) => [
        [shard.index, 'silhouetteSym', copy, n, x.dp, labelPtr, k, ptr, wi, w, scratch.in(shard, TILE_TMP)],
      ]);
      await context.run(batches, (n * n * x.dp) / 2);
      for (const ptr of outs) {
        const part = shard.f64(ptr, n * k);
        for (let s = 0; s < n; s++) {
          const to = order[s]! * k;
          for (let c = 0; c < k; c++) out[to + c]! += part[s * k + c]!;
        }
      }
      return out;
    }
    const blockScratch = new Scratch(context);
    try {
      for (const piece of x.pieces) {
        const { shard } = piece;
        const byTargets = splitByTargets(q, piece.rows, w);
        const splits = plan(q, piece.rows, w, byTargets).splits;
        const labelPtr = scratch.in(shard, piece.paddedRows * 4);
        shard.i32(labelPtr, piece.rows).set(labels.subarray(piece.rowStart, piece.rowStart + piece.rows));
        for (const [from, to] of queryBlocks(q, x.dp * 4 + splits * k * 8, w * TILE_TMP, piece)) {
          const qb = to - from;
          const queries = queryCopy(blockScratch, x, start + from, start + to, piece);
          const { items } = plan(qb, piece.rows, w, byTargets);
          const outs = Array.from({ length: splits }, () => blockScratch.zeroed(shard, qb * k * 8));
          const batches: KernelCall[][] = Array.from({ length: w }, () => []);
          for (const item of items) {
            batches[item.worker]!.push([
              shard.index,
              'distTile',
              DIST_MODE.SIL,
              queries,
              item.q0,
              item.q1,
              piece.ptr,
              item.t0,
              item.t1,
              x.dp,
              outs[item.split]! + item.q0 * k * 8,
              k,
              labelPtr,
              0,
              blockScratch.in(shard, TILE_TMP),
            ]);
          }
          await context.run(batches, qb * piece.rows * x.dp);
          for (const ptr of outs) {
            const part = shard.f64(ptr, qb * k);
            for (let i = 0; i < part.length; i++) out[from * k + i]! += part[i]!;
          }
          blockScratch.release();
        }
        scratch.release();
      }
    } finally {
      blockScratch.release();
    }
  } finally {
    scratch.release();
  }
  return out;
}

/** Row indices ordered by label, then by index (a counting sort). */
function sortByLabel(labels: Int32Array, n: number, k: number): Int32Array {
  const starts = new Int32Array(k + 1);
  for (let i = 0; i < n; i++) starts[labels[i]! + 1]!++;
  for (let c = 0; c < k; c++) starts[c + 1]! += starts[c]!;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[starts[labels[i]!]!++] = i;
  return order;
}

export async function similarity(
  context: WasmContext,
  images: WasmMatrix,
  texts: WasmMatrix,
  logitScale: number,
  softmax: boolean,
  start: number,
  end: number,
): Promise<SimilarityResult> {
  images.assertLive();
  texts.assertLive();
  const t = texts.rows;
  const scores = new Float32Array((end - start) * t);
  const labels = new Int32Array(end - start);
  // Text norms exactly as the reference computes them.
  const textNorms = hostRowNorms(texts.host);
  const textRows = new Float32Array(t * images.dp);
  for (let j = 0; j < t; j++) textRows.set(texts.host.row(j), j * images.dp);
  const scratch = new Scratch(context);
  try {
    for (const { piece, from: pieceFrom, to: pieceTo } of images.overlapping(start, end)) {
      const { shard } = piece;
      for (const [bFrom, bTo] of queryBlocks(pieceTo - pieceFrom, 8 + t * 12 + 4, t * (images.dp * 4 + 8), piece)) {
        const from = pieceFrom + bFrom;
        const rows = bTo - bFrom;
        const textPtr = scratch.in(shard, t * images.dp * 4);
        shard.f32(textPtr, t * images.dp).set(textRows);
        const tn = scratch.in(shard, t * 8);
        shard.f64(tn, t).set(textNorms);
        const qn = scratch.in(shard, rows * 8);
        const logits = scratch.in(shard, rows * t * 8);
        const scorePtr = scratch.in(shard, rows * t * 4);
        const labelPtr = scratch.in(shard, rows * 4);
        const batches: KernelCall[][] = splitRange(rows, context.threads).map(([r0, r1]) => {
          if (r1 <= r0) return [];
          const s = shard.index;
          return [
            [s, 'rowNorms', piece.ptr, from + r0, from + r1, images.cols, images.dp, qn + r0 * 8],
            [s, 'dotTile', DOT_MODE.LOGITS, piece.ptr, from + r0, from + r1, textPtr, 0, t, images.dp, logits + r0 * t * 8, t, 0, qn + r0 * 8, tn, logitScale],
            [s, 'softmaxRows', logits, r0, r1, t, softmax ? 1 : 0, scorePtr, labelPtr],
          ];
        });
        await context.run(batches, rows * (t + 1) * images.dp);
        const offset = piece.rowStart + from - start;
        scores.set(shard.f32(scorePtr, rows * t), offset * t);
        labels.set(shard.i32(labelPtr, rows), offset);
        scratch.release();
      }
    }
  } finally {
    scratch.release();
  }
  return { scores, labels };
}
