import { expect } from 'vitest';
import type { LloydSession } from '../../src/backends/backend.js';
import { JsBackend } from '../../src/backends/js/index.js';
import type { Matrix } from '../../src/matrix.js';

/**
 * Runs Lloyd updates on `session` and on the JS `reference` from the same centroids, asking
 * for the labels on every other step only, and checks the step contract: `changed` is the
 * number of rows whose label differs from the previous step's (every row on the first step),
 * the labels are absent exactly when `labels: false`, and `labels()` returns the last step's.
 */
export async function expectChangedLabels(session: LloydSession, reference: LloydSession, initial: Float32Array, k: number, steps = 5): Promise<number[]> {
  const d = initial.length / k;
  let centroids = initial;
  let previous: Int32Array | undefined;
  const changes: number[] = [];
  for (let step = 0; step < steps; step++) {
    const withLabels = step % 2 === 1;
    const got = await session.step(centroids, { accumulate: true, labels: withLabels });
    const want = await reference.step(centroids, { accumulate: true });
    const differing = previous ? want.labels.reduce((n, label, i) => n + (label !== previous![i] ? 1 : 0), 0) : want.labels.length;
    expect(want.changed).toBe(differing);
    expect(got.changed).toBe(differing);
    expect('labels' in got).toBe(withLabels);
    expect(Array.from(await session.labels())).toEqual(Array.from(want.labels));
    changes.push(differing);
    previous = want.labels;
    centroids = nextCentroids(want.sums!, want.counts!, centroids, d);
  }
  return changes;
}

/** Lloyd centroid update from sums and counts (an empty cluster keeps its centroid). */
export function nextCentroids(sums: Float64Array, counts: Float64Array, previous: Float32Array, d: number): Float32Array {
  const next = Float32Array.from(previous);
  for (let c = 0; c < counts.length; c++) {
    if (counts[c]! > 0) for (let j = 0; j < d; j++) next[c * d + j] = sums[c * d + j]! / counts[c]!;
  }
  return next;
}

/**
 * A mini-batch step (`stepRows`) on `session` over rows of `x` — repeats, rows from every end
 * of the matrix — against the JS reference's full step over the same rows copied into a matrix
 * of their own, and checks that the session's labels are left as the last full step set them.
 */
export async function expectRowSteps(session: LloydSession, x: Matrix, centroids: Float32Array, k: number): Promise<void> {
  const n = x.rows;
  await session.step(centroids, { accumulate: false, labels: false });
  const labels = await session.labels();
  // Two lists of one length (a backend may keep per-size state between steps), and one longer
  // than a chunk of the chunked test lanes, with repeats.
  const lists = [
    Int32Array.of(0),
    Int32Array.from({ length: 37 }, (_, i) => (i * 7919) % n),
    Int32Array.from({ length: 37 }, (_, i) => (n - 1 - ((i * 13) % n))),
    Int32Array.of(n - 1, 0, n - 1, n >> 1, n - 1),
    Int32Array.from({ length: 2 * n + 3 }, (_, i) => (i * 104729) % n),
  ];
  for (const rows of lists) {
    const got = await session.stepRows(centroids, rows);
    const reference = await new JsBackend().startLloyd(await new JsBackend().upload(x.selectRows(rows)), k, { bounds: false });
    const want = await reference.step(centroids, { accumulate: true });
    expect(Array.from(got.counts)).toEqual(Array.from(want.counts!));
    // Float64 sums (df32 on the GPU) in another order; the inertia from float32 distances.
    got.sums.forEach((sum, i) => expect(Math.abs(sum - want.sums![i]!)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(want.sums![i]!))));
    expect(Math.abs(got.inertia - want.inertia)).toBeLessThanOrEqual(1e-6 * want.inertia);
    got.clusterInertia.forEach((value, c) => expect(Math.abs(value - want.clusterInertia![c]!)).toBeLessThanOrEqual(1e-6 * want.inertia));
    expect(got.distanceEvaluations).toBe(rows.length * k);
  }
  const none = await session.stepRows(centroids, new Int32Array(0));
  expect([none.inertia, none.distanceEvaluations, ...none.counts, ...none.sums, ...none.clusterInertia].every((v) => v === 0)).toBe(true);
  expect([none.counts.length, none.sums.length]).toEqual([k, k * x.cols]);
  expect(Array.from(await session.labels())).toEqual(Array.from(labels));
  await expect(session.stepRows(centroids, Int32Array.of(0, n))).rejects.toThrow(`rows[1] = ${n} is not a row of the ${n}-row matrix`);
}
