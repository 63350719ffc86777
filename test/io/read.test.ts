import { mkdir, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ClusterkitError } from '../../src/errors.js';
import { openTable } from '../../src/io/index.js';
import { useTempDir } from './helpers.js';

const file = useTempDir();

describe('openTable', () => {
  it('names a missing file, a directory and an empty file', async () => {
    const missing = file('missing.csv');
    await expect(openTable(missing)).rejects.toThrow(`${missing}: no such file`);
    const dir = file('dir.parquet');
    await mkdir(dir);
    await expect(openTable(dir)).rejects.toThrow(`${dir}: is not a file`);
    for (const extension of ['csv', 'parquet', 'arrow', 'npy']) {
      const empty = file(`empty.${extension}`);
      await writeFile(empty, '');
      await expect(openTable(empty)).rejects.toThrow(`${empty}: is empty`);
    }
  });

  it('lists the supported extensions for an unknown one', async () => {
    const path = file('table.xlsx');
    await writeFile(path, 'x');
    const error = await openTable(path).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ClusterkitError);
    expect((error as ClusterkitError).kind).toBe('file');
    expect((error as ClusterkitError).message).toBe(
      `${path}: ".xlsx" files cannot be read; use one of .csv, .parquet, .arrow, .feather, .ipc, .npy`,
    );
  });

  it('matches extensions regardless of case', async () => {
    const path = file('UPPER.CSV');
    await writeFile(path, 'a\n1\n');
    expect((await openTable(path)).format).toBe('csv');
  });
});
