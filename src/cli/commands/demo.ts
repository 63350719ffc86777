import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { COMMON_OPTIONS, parse, stringOption } from '../args.js';
import { kmeans } from './kmeans.js';
import { silhouette } from './silhouette.js';
import { similarity } from './similarity.js';

export const DEMO_USAGE = `clusterkit demo [--backend auto|webgpu|wasm|js] [--out DIR]
  The main job on the bundled samples: k-means of the wine table (standardized, k = 3), its
  silhouette, and CLIP-style zero-shot scoring of 2,000 street-image embeddings against 6 prompts.
  Writes DIR/wine-clusters.csv and DIR/street-categories.csv (DIR defaults to ./demo-output).`;

/** samples/ ships with the package, two levels above dist/cli/commands. */
const SAMPLES = fileURLToPath(new URL('../../../samples/', import.meta.url));

export async function demo(argv: string[]): Promise<void> {
  const { values } = parse('demo', argv, { ...COMMON_OPTIONS, out: { type: 'string' } }, []);
  const out = stringOption(values, 'out') ?? 'demo-output';
  const backend = stringOption(values, 'backend') ?? 'auto';
  mkdirSync(out, { recursive: true });
  const wine = join(SAMPLES, 'wine.csv');
  const clustered = join(out, 'wine-clusters.csv');
  const step = (title: string) => process.stdout.write(`\n== ${title}\n`);

  step(`k-means: ${wine} (13 chemical measurements of 178 wines), standardized, k = 3`);
  await kmeans([wine, '--k', '3', '--exclude', 'id', '--scale', 'standard', '--backend', backend, '-o', clustered]);

  step('silhouette of that clustering (standardized features)');
  await silhouette([clustered, '--labels', 'cluster', '--exclude', 'id', '--scale', 'standard', '--backend', backend]);

  step('zero-shot scoring: 2,000 street-image embeddings against 6 text prompts');
  await similarity([
    join(SAMPLES, 'street-images.npy'),
    join(SAMPLES, 'street-texts.npy'),
    '--prompts',
    join(SAMPLES, 'street-prompts.txt'),
    '--backend',
    backend,
    '-o',
    join(out, 'street-categories.csv'),
  ]);
}
