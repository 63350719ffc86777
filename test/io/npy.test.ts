import { writeFile } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { openTable, readMatrix } from '../../src/io/index.js';
import { collect, useTempDir, writeNpy } from './helpers.js';

const file = useTempDir();

describe('reading .npy', () => {
  it('reads a 2-D float32 array as one FixedSizeList<Float32> column', async () => {
    const path = file('f4.npy');
    const values = Float32Array.from({ length: 12 }, (_, i) => i / 10);
    await writeNpy(path, values, [4, 3]);
    const source = await openTable(path);
    expect(source.format).toBe('npy');
    expect(source.schema.fields.map(String)).toEqual(['embedding: FixedSizeList[3]<Float32>']);
    const { matrix, columns } = await readMatrix(source);
    expect(columns).toEqual(['embedding']);
    expect(matrix.columnNames).toEqual(['embedding[0]', 'embedding[1]', 'embedding[2]']);
    expect([matrix.rows, matrix.cols]).toEqual([4, 3]);
    expect(matrix.toFloat32Array()).toEqual(values);
  });

  it('converts float64 to float32 and reads a 1-D array as n × 1, for every format version', async () => {
    for (const version of [1, 2, 3] as const) {
      const path = file(`f8-v${version}.npy`);
      const values = Float64Array.from({ length: 5 }, (_, i) => i + 0.1);
      await writeNpy(path, values, [5], { version });
      const { matrix } = await readMatrix(await openTable(path));
      expect([matrix.rows, matrix.cols]).toEqual([5, 1]);
      expect(matrix.toFloat32Array()).toEqual(Float32Array.from(values));
    }
  });

  it('reads rows in blocks of at most 65,536, again on every pass', async () => {
    const rows = 65_536 + 100;
    const values = Float32Array.from({ length: rows * 2 }, (_, i) => i);
    const path = file('big.npy');
    await writeNpy(path, values, [rows, 2]);
    const source = await openTable(path);
    for (let pass = 0; pass < 2; pass++) {
      const batches = await collect(source.batches());
      expect(batches.map((batch) => batch.numRows)).toEqual([65_536, 100]);
      const last = batches[1]!.getChild('embedding')!.get(99) as arrow.Vector;
      expect([...last]).toEqual([2 * rows - 2, 2 * rows - 1]);
    }
    // A reader that stops while the next block is being read ahead.
    for await (const first of source.batches()) {
      expect(first.numRows).toBe(65_536);
      break;
    }
    expect((await readMatrix(source)).matrix.toFloat32Array()).toEqual(values);
  });

  it('names an unsupported dtype, Fortran order and other shapes', async () => {
    const ints = file('ints.npy');
    await writeNpy(ints, new Float64Array(4), [4], { descr: '<i8' });
    await expect(openTable(ints)).rejects.toThrow(
      `${ints}: has dtype '<i8', which is not supported; save it as float32 ('<f4') or float64 ('<f8')`,
    );
    const bigEndian = file('big-endian.npy');
    await writeNpy(bigEndian, new Float32Array(4), [4], { descr: '>f4' });
    await expect(openTable(bigEndian)).rejects.toThrow(`${bigEndian}: has dtype '>f4', which is not supported`);
    const fortran = file('fortran.npy');
    await writeNpy(fortran, new Float32Array(4), [2, 2], { fortranOrder: true });
    await expect(openTable(fortran)).rejects.toThrow(`${fortran}: is in Fortran order`);
    const cube = file('cube.npy');
    await writeNpy(cube, new Float32Array(8), [2, 2, 2]);
    await expect(openTable(cube)).rejects.toThrow(`${cube}: has shape (2, 2, 2); only 1-D and 2-D arrays can be read`);
    const none = file('none.npy');
    await writeNpy(none, new Float32Array(0), [0, 3]);
    await expect(openTable(none)).rejects.toThrow(`${none}: has no data rows`);
  });

  it('rejects a truncated file and one that is not .npy', async () => {
    const short = file('short.npy');
    await writeNpy(short, new Float32Array(5), [3, 2]);
    await expect(openTable(short)).rejects.toThrow(
      `${short}: is truncated: its header describes 24 bytes of data, it holds 20`,
    );
    const text = file('text.npy');
    await writeFile(text, 'just some text, not an array');
    await expect(openTable(text)).rejects.toThrow(`${text}: is not a .npy file`);
  });
});
