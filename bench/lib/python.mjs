/** The Python side of the benchmarks: scikit-learn / NumPy / SciPy peers run as child processes. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';

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

/**
 * Runs a Python peer script on a JSON spec written next to the data and returns the JSON it
 * prints; its progress goes to our stderr.
 */
export function runPythonPeer(python, script, spec, workDir) {
  const specPath = join(workDir, `${basename(script, '.py')}-spec.json`);
  writeFileSync(specPath, JSON.stringify(spec));
  const run = spawnSync(python, [script, specPath], {
    env: peerEnvironment(),
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (run.error) throw new Error(`${basename(script)} could not start (${python}): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`${basename(script)} failed with exit code ${run.status}`);
  return JSON.parse(run.stdout);
}

/** bench/sklearn_peer.py (k-means and silhouette). */
export function runSklearn(python, spec, workDir) {
  return runPythonPeer(python, PEER, spec, workDir);
}
