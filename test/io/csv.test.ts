import { readFile, writeFile } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { formatFloat32 } from '../../src/io/csv.js';
import { openTable, readMatrix, writeTable } from '../../src/io/index.js';
import { Rng } from '../../src/rng.js';
import { asyncOf, batchOf, collect, embeddingVector, rowsOf, useTempDir } from './helpers.js';

const file = useTempDir();

async function csv(name: string, text: string): Promise<string> {
  const path = file(name);
  await writeFile(path, text);
  return path;
}

describe('reading CSV', () => {
  it('types each column by its first non-empty cell and trims cells', async () => {
    const path = await csv('types.csv', '\ufeff id , name ,score,empty\n1, ann ,,\n2,"bob, jr",3.5,\n\n3,cy,-1e3,\n');
    const source = await openTable(path);
    expect(source.format).toBe('csv');
    expect(source.schema.fields.map(String)).toEqual(['id: Float64', 'name: Utf8', 'score: Float64', 'empty: Utf8']);
    expect(rowsOf(await collect(source.batches()))).toEqual([
      { id: 1, name: 'ann', score: null, empty: null },
      { id: 2, name: 'bob, jr', score: 3.5, empty: null },
      { id: 3, name: 'cy', score: -1000, empty: null },
    ]);
  });

  it('reads nan and inf words as numbers, so the matrix conversion names them (CRLF lines)', async () => {
    const path = await csv('nan.csv', 'x,y\r\n1,NaN\r\ninf,2\r\n-Infinity,nan\r\n');
    const source = await openTable(path);
    expect(source.schema.fields.map(String)).toEqual(['x: Float64', 'y: Float64']);
    const [batch] = await collect(source.batches());
    expect([...batch!.getChild('x')!]).toEqual([1, Infinity, -Infinity]);
    expect([...batch!.getChild('y')!]).toEqual([NaN, 2, NaN]);
    await expect(readMatrix(source)).rejects.toThrow(`${path}: column "y", row 1: value is NaN`);
  });

  it('can be read again, and streams batches of 65,536 rows', async () => {
    const rows = 65_536 * 2 + 10;
    const lines = ['a,b'];
    for (let i = 0; i < rows; i++) lines.push(`${i},${i % 7 === 0 ? '' : 'x' + i}`);
    const source = await openTable(await csv('big.csv', lines.join('\n')));
    for (let pass = 0; pass < 2; pass++) {
      const batches = await collect(source.batches());
      expect(batches.map((batch) => batch.numRows)).toEqual([65_536, 65_536, 10]);
      expect(batches.every((batch) => arrow.util.compareSchemas(batch.schema, source.schema))).toBe(true);
      const last = batches[2]!;
      expect(last.getChild('a')!.get(9)).toBe(rows - 1);
      expect(last.getChild('b')!.get(9)).toBe(`x${rows - 1}`);
    }
  });

  it('names the column, row and cell of text in a numeric column', async () => {
    const lines = ['id,income'];
    for (let i = 1; i <= 20; i++) lines.push(`${i},${i === 17 ? 'abc' : i * 1000}`);
    const path = await csv('text.csv', lines.join('\n'));
    const source = await openTable(path);
    await expect(collect(source.batches())).rejects.toThrow(`${path}: column "income", row 17: "abc" is not a number`);
  });

  it('reads decimal numbers only', async () => {
    const cells: [string, number | undefined][] = [
      ['1.', 1], ['.5', 0.5], ['+2', 2], ['-0.25e-3', -0.00025], ['1E5', 1e5], ['007', 7], ['1e999', Infinity],
      ['1e', undefined], ['1-2', undefined], ['e5', undefined], ['.', undefined], ['--1', undefined],
      ['0b1', undefined], ['0o7', undefined], ['1_000', undefined], ['1,5', undefined],
    ];
    for (const [cell, value] of cells) {
      const source = await openTable(await csv('cell.csv', `a\n"${cell}"\n`));
      const [batch] = await collect(source.batches());
      expect([cell, String(source.schema.fields[0]!.type)]).toEqual([cell, value === undefined ? 'Utf8' : 'Float64']);
      expect(batch!.getChild('a')!.get(0)).toBe(value ?? cell);
    }
  });

  it('reads every decimal as Number() does, to the last bit', async () => {
    const rng = new Rng(11);
    const digits = (count: number) => Array.from({ length: count }, () => Math.floor(rng.nextFloat() * 10)).join('');
    const cells = ['-0', '0.000', '999999999999999', '9999999999999999', '0.1', '-.5', '+7.', '123456789.012345', '1.0000000000000002'];
    for (let i = 0; i < 20_000; i++) {
      const sign = ['', '-', '+'][i % 3]!;
      const whole = digits(Math.floor(rng.nextFloat() * 9));
      const fraction = digits(Math.floor(rng.nextFloat() * 10));
      cells.push(`${sign}${whole || '0'}${i % 5 === 0 ? '' : '.'}${i % 5 === 0 ? '' : fraction}`);
    }
    const source = await openTable(await csv('decimals.csv', `a\n${cells.join('\n')}\n`));
    const values = (await collect(source.batches())).flatMap((batch) => [...batch.getChild('a')!]);
    const differing = cells.filter((cell, i) => !Object.is(values[i], Number(cell)));
    expect(differing).toEqual([]);
  });

  it('treats hex and digit separators as text', async () => {
    const path = await csv('hex.csv', 'a\n1\n0x1f\n');
    await expect(collect((await openTable(path)).batches())).rejects.toThrow(`${path}: column "a", row 2: "0x1f" is not a number`);
  });

  it('rejects a ragged row', async () => {
    const path = await csv('ragged.csv', 'a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3\n');
    await expect(collect((await openTable(path)).batches())).rejects.toThrow(`${path}: row 5 has 3 fields, the header has 4`);
  });

  it('rejects a file with only a header, an empty file and a blank one', async () => {
    const header = await csv('header.csv', 'a,b\n');
    await expect(openTable(header)).rejects.toThrow(`${header}: has no data rows`);
    const empty = await csv('empty.csv', '');
    await expect(openTable(empty)).rejects.toThrow(`${empty}: is empty`);
    const blank = await csv('blank.csv', '\n\n');
    await expect(openTable(blank)).rejects.toThrow(`${blank}: is empty`);
  });

  it('reads quoted fields (delimiters, line breaks, doubled quotes) and characters split between stream chunks', async () => {
    // Node reads 64 KiB at a time: "é" (two bytes in UTF-8) and a quoted field with a line break
    // are placed across chunk boundaries.
    const filler = 'x'.repeat(65_536 - 'name,n\n'.length - 1);
    const text = `name,n\n${filler}é,1\n"a, ""b""\nc",2\n${'y'.repeat(65_520)},3\n"tail\nend",4\n`;
    const rows = rowsOf(await collect((await openTable(await csv('chunks.csv', text))).batches()));
    expect(rows.map((row) => row.n)).toEqual([1, 2, 3, 4]);
    expect(rows[0]!.name).toBe(`${filler}é`);
    expect(rows[1]!.name).toBe('a, "b"\nc');
    expect(rows[3]!.name).toBe('tail\nend');
  });

  it('names the row of malformed CSV far into the file', async () => {
    const lines = ['a,b'];
    for (let i = 1; i < 20_000; i++) lines.push(`${i},${i}`);
    lines.push('20000,"open');
    const path = await csv('late.csv', lines.join('\n') + '\n');
    await expect(collect((await openTable(path)).batches())).rejects.toThrow(`${path}: invalid CSV (Quoted field unterminated in row 20000)`);
  });

  it('rejects malformed CSV and a repeated header name', async () => {
    const quote = await csv('quote.csv', 'a,b\n1,"x\n2,3\n');
    await expect(openTable(quote)).rejects.toThrow(`${quote}: invalid CSV (Quoted field unterminated in row 1)`);
    const twice = await csv('twice.csv', 'a,b,a\n1,2,3\n');
    await expect(openTable(twice)).rejects.toThrow(`${twice}: column "a" appears twice in the header`);
  });
});

describe('writing CSV', () => {
  it('prints float32 values as their shortest round-tripping decimal', () => {
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(Math.fround(1 / 3))).toBe('0.33333334');
    expect(formatFloat32(Math.fround(16_777_216))).toBe('16777216');
    expect(formatFloat32(Math.fround(1e20))).toBe('100000000000000000000');
    expect(formatFloat32(Math.fround(-2.5e-7))).toBe('-2.5e-7');
    expect(formatFloat32(NaN)).toBe('NaN');
    expect(formatFloat32(-Infinity)).toBe('-Infinity');
    // Against a search from 1 digit up, over a sweep of bit patterns (subnormals included).
    const shortest = (value: number): string => {
      for (let digits = 1; ; digits++) {
        const decimal = Number(value.toPrecision(digits));
        if (Math.fround(decimal) === value) return String(decimal);
      }
    };
    const bits = new Uint32Array(1);
    const float = new Float32Array(bits.buffer);
    const wrong: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      bits[0] = Math.imul(i, 2_654_435_761) & 0x7fffffff;
      if (!Number.isFinite(float[0])) continue;
      const text = formatFloat32(float[0]!);
      if (text !== shortest(float[0]!)) wrong.push(`${float[0]}: ${text}`);
    }
    expect(wrong).toEqual([]);
  });

  it('quotes when needed, leaves nulls empty and prints lists as arrays', async () => {
    const batch = batchOf({
      text: arrow.vectorFromArray(['plain', 'a,b', 'say "hi"', ' padded', null], new arrow.Utf8()),
      f32: arrow.vectorFromArray([0.1, 0.2, null, 1.5, -3], new arrow.Float32()),
      f64: arrow.vectorFromArray([0.1, 1 / 3, 2, null, 1e21], new arrow.Float64()),
      int: arrow.vectorFromArray([1, -2, 3, 4, null], new arrow.Int32()),
      big: arrow.vectorFromArray([1n, 2n, 3n, 4n, 2n ** 60n], new arrow.Int64()),
      emb: embeddingVector(Float32Array.from([0.1, 0.2, 1, 2, 3, 4, 5, 6, 7, 8]), 2),
    });
    const path = file('out.csv');
    await writeTable(path, batch.schema, asyncOf([batch]));
    expect(await readFile(path, 'utf8')).toBe(
      [
        'text,f32,f64,int,big,emb',
        'plain,0.1,0.1,1,1,"[0.1,0.2]"',
        '"a,b",0.2,0.3333333333333333,-2,2,"[1,2]"',
        '"say ""hi""",,2,3,3,"[3,4]"',
        '" padded",1.5,,4,4,"[5,6]"',
        ',-3,1e+21,,1152921504606846976,"[7,8]"',
        '',
      ].join('\n'),
    );
  });

  it('round-trips through the reader', async () => {
    const batch = batchOf({
      name: arrow.vectorFromArray(['x', 'y, z', null], new arrow.Utf8()),
      value: arrow.vectorFromArray([1.25, null, -7], new arrow.Float64()),
    });
    const path = file('round.csv');
    await writeTable(path, batch.schema, asyncOf([batch, batch]));
    const source = await openTable(path);
    expect(rowsOf(await collect(source.batches()))).toEqual([...rowsOf([batch]), ...rowsOf([batch])]);
  });
});
