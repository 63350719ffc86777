import { availableParallelism } from 'node:os';
import { createBackend, probeBackends } from '../../backends/select.js';
import { COMMON_OPTIONS, integerOption, parse } from '../args.js';
import { emit } from '../output.js';
import { VERSION } from '../version.js';

export const INFO_USAGE = `clusterkit info [--threads N] [--json]
  Backends available here (webgpu adapter, wasm SIMD and threads, js) and which one auto picks.`;

export async function info(argv: string[]): Promise<void> {
  const { values } = parse('info', argv, COMMON_OPTIONS, []);
  const threads = integerOption(values, 'threads');
  const options = threads === undefined ? {} : { threads };
  const backends = await probeBackends(options);
  const picked = await createBackend('auto', options);
  picked.dispose();
  const result = {
    version: VERSION,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cores: availableParallelism(),
    auto: picked.name,
    backends,
  };
  emit(values.json, result, () => {
    const lines = [`clusterkit ${result.version} on Node ${result.node} (${result.platform}, ${result.cores} cores)`];
    for (const b of backends) lines.push(`  ${b.available ? '✓' : '✗'} ${b.name.padEnd(7)}${b.detail}`);
    lines.push(`  auto picks: ${result.auto}`);
    return lines.join('\n');
  });
}
