/** What the file benchmarks (read.mjs, csv.mjs) share: their options and where results go. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { machineInfo } from './machine.mjs';

/**
 * `--rows N` (default `rows`, or `quickRows` with `--quick`) and `--tag T` (default
 * dev-<cores>core), and the command line to record beside the results.
 */
export function fileBenchmarkOptions(script, rows, quickRows) {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: { rows: { type: 'string' }, quick: { type: 'boolean', default: false }, tag: { type: 'string' } },
  });
  return {
    quick: values.quick,
    rows: Number(values.rows ?? (values.quick ? quickRows : rows)),
    tag: values.tag ?? `dev-${machineInfo().cores}core`,
    command: `node bench/${script} ${argv.join(' ')}`.trim(),
  };
}

/** Writes bench/results/<tag>-<name>[-quick].json. */
export function writeResults({ tag, quick }, name, result) {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${tag}-${name}${quick ? '-quick' : ''}.json`, dir), `${JSON.stringify(result, null, 2)}\n`);
}
