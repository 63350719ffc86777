/**
 * Row blocks for primitives whose output grows with rows × width (distances, k-NN, scores):
 * bounding one call's output keeps memory flat and lets a GPU backend read back in pieces.
 */
export const OUTPUT_VALUES_PER_CALL = 1 << 22;

export function* rowBlocks(rows: number, width: number): Generator<[start: number, end: number]> {
  const block = Math.max(1, Math.floor(OUTPUT_VALUES_PER_CALL / Math.max(1, width)));
  for (let start = 0; start < rows; start += block) yield [start, Math.min(rows, start + block)];
}
