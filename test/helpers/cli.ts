import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as arrow from 'apache-arrow';
import { expect } from 'vitest';
import { openTable, readMatrix } from '../../src/io/index.js';

// The CLI is tested as users run it: the built bin (npm test builds first), a fresh process per command.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'dist/cli/main.js');

export const WINE = join(ROOT, 'samples/wine.csv');
export const IMAGES = join(ROOT, 'samples/street-images.npy');
export const TEXTS = join(ROOT, 'samples/street-texts.npy');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A temporary directory that the bin runs in and writes its outputs to. */
export class CliWorkDir {
  readonly dir: string;

  /** Call it in beforeAll: it fails the file at once when the bin is not built. */
  constructor(prefix: string) {
    expect(existsSync(BIN), 'run `npm run build` first (npm test does)').toBe(true);
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  write(name: string, text: string): string {
    const path = this.path(name);
    writeFileSync(path, text);
    return path;
  }

  run(...args: string[]): CliRun {
    const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: this.dir });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  /** Runs a command that must succeed with --json and returns the one JSON object it printed. */
  json(...args: string[]): Record<string, unknown> {
    const run = this.run(...args, '--json');
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    return JSON.parse(run.stdout) as Record<string, unknown>;
  }

  /** Bad input: exit code 2, one stderr line matching `message`, no stdout, none of `outputs` and no temp file left. */
  expectRejected(run: CliRun, message: RegExp, ...outputs: string[]): void {
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    for (const output of outputs) expect(existsSync(output)).toBe(false);
    expect(readdirSync(this.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }
}

/** A written file read back whole. */
export async function readTable(path: string): Promise<arrow.Table> {
  const batches: arrow.RecordBatch[] = [];
  for await (const batch of (await openTable(path)).batches()) batches.push(batch);
  return new arrow.Table(batches);
}

/** One numeric column of a written file, read the way the CLI reads its inputs. */
export async function column(path: string, name: string): Promise<number[]> {
  return Array.from((await readMatrix(await openTable(path), { columns: [name] })).matrix.toFloat32Array());
}

/** How many rows each cluster 0..k−1 holds. */
export function clusterSizes(labels: Iterable<number>, k: number): number[] {
  const sizes = new Array<number>(k).fill(0);
  for (const label of labels) sizes[label]! += 1;
  return sizes;
}
