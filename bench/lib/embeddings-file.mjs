/** Float32 embeddings written as a table file, the way the benchmarks that read them need. */
import * as arrow from 'apache-arrow';
import { writeTable } from '../../dist/io/index.js';

/**
 * Writes rows of `d` float32 values (given as row-major pieces, e.g. a Matrix's chunks) to
 * `path` (.arrow, .parquet, …) as one FixedSizeList<Float32>[d] column "clip", in batches of
 * 65,536 rows as pyarrow writes them.
 */
export async function writeEmbeddings(path, pieces, d) {
  const type = new arrow.FixedSizeList(d, new arrow.Field('item', new arrow.Float32(), false));
  function* batches() {
    for (const piece of pieces) {
      const rows = piece.length / d;
      for (let r = 0; r < rows; r += 65536) {
        const count = Math.min(65536, rows - r);
        const child = arrow.makeData({ type: new arrow.Float32(), length: count * d, data: piece.subarray(r * d, (r + count) * d) });
        yield new arrow.Table({ clip: arrow.makeVector(arrow.makeData({ type, length: count, nullCount: 0, child })) }).batches[0];
      }
    }
  }
  await writeTable(path, batches().next().value.schema, batches());
}
