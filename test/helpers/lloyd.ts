import { expect } from 'vitest';
import type { LloydSession } from '../../src/backends/backend.js';

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
