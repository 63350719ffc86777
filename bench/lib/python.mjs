/** Runs bench/sklearn_peer.py and returns its JSON. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const PEER = fileURLToPath(new URL('../sklearn_peer.py', import.meta.url));

/**
 * These two make OpenBLAS pick a slower kernel/cache model on this machine (up to 2× on the
 * Lloyd GEMM); scikit-learn gets its best, so they are removed from its environment.
 */
export const OPENBLAS_HANDICAPS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

function peerEnvironment() {
  const env = { ...process.env };
  for (const name of OPENBLAS_HANDICAPS) delete env[name];
  return env;
}

/** Writes the spec next to the data and runs the peer; its progress goes to our stderr. */
export function runSklearn(python, spec, workDir) {
  const specPath = join(workDir, 'sklearn-spec.json');
  writeFileSync(specPath, JSON.stringify(spec));
  const run = spawnSync(python, [PEER, specPath], {
    env: peerEnvironment(),
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (run.error) throw new Error(`scikit-learn peer could not start (${python}): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`scikit-learn peer failed with exit code ${run.status}`);
  return JSON.parse(run.stdout);
}
