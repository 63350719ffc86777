#!/usr/bin/env node
import { ClusterkitError } from '../errors.js';
import { aggregate, AGGREGATE_USAGE } from './commands/aggregate.js';
import { demo, DEMO_USAGE } from './commands/demo.js';
import { info, INFO_USAGE } from './commands/info.js';
import { kmeans, KMEANS_USAGE } from './commands/kmeans.js';
import { profile, PROFILE_USAGE } from './commands/profile.js';
import { silhouette, SILHOUETTE_USAGE } from './commands/silhouette.js';
import { similarity, SIMILARITY_USAGE } from './commands/similarity.js';
import { sweep, SWEEP_USAGE } from './commands/sweep.js';
import { topdown, TOPDOWN_USAGE } from './commands/topdown.js';
import { bisect, BISECT_USAGE } from './commands/bisect.js';
import { minibatch, MINIBATCH_USAGE } from './commands/minibatch.js';
import { prep, PREP_USAGE } from './commands/prep.js';
import { pca, PCA_USAGE } from './commands/pca.js';
import { agglomerative, AGGLOMERATIVE_USAGE } from './commands/agglomerative.js';
import { affinity, AFFINITY_USAGE } from './commands/affinity.js';
import { VERSION } from './version.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  kmeans: { run: kmeans, usage: KMEANS_USAGE },
  silhouette: { run: silhouette, usage: SILHOUETTE_USAGE },
  similarity: { run: similarity, usage: SIMILARITY_USAGE },
  sweep: { run: sweep, usage: SWEEP_USAGE },
  topdown: { run: topdown, usage: TOPDOWN_USAGE },
  bisect: { run: bisect, usage: BISECT_USAGE },
  minibatch: { run: minibatch, usage: MINIBATCH_USAGE },
  prep: { run: prep, usage: PREP_USAGE },
  pca: { run: pca, usage: PCA_USAGE },
  profile: { run: profile, usage: PROFILE_USAGE },
  aggregate: { run: aggregate, usage: AGGREGATE_USAGE },
  agglomerative: { run: agglomerative, usage: AGGLOMERATIVE_USAGE },
  affinity: { run: affinity, usage: AFFINITY_USAGE },
  info: { run: info, usage: INFO_USAGE },
  demo: { run: demo, usage: DEMO_USAGE },
};

function usage(): string {
  return [
    `clusterkit ${VERSION}: clustering on WebGPU, WebAssembly SIMD or plain JS`,
    '',
    ...Object.values(COMMANDS).map((c) => c.usage),
    '',
    'Inputs: .csv, .parquet, .arrow/.feather/.ipc, .npy. Outputs (-o): .csv, .parquet, .arrow.',
    'Exit codes: 0 done, 2 bad input or options (one message on stderr), 1 internal error.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new ClusterkitError('option', `unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage + '\n');
    return 0;
  }
  await command.run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ClusterkitError) {
      process.stderr.write(`clusterkit: ${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`clusterkit: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
