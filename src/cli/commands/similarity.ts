import { readFile } from 'node:fs/promises';
import { Engine } from '../../engine.js';
import { fileError, optionError } from '../../errors.js';
import { openTable, readMatrix, type NewColumn } from '../../io/index.js';
import { COMMON_OPTIONS, numberOption, parse, stringOption } from '../args.js';
import { checkOutputPath, engineOptions, writeWithColumns } from '../features.js';
import { Matrix } from '../../matrix.js';
import { emit } from '../output.js';

export const SIMILARITY_USAGE = `clusterkit similarity <images> <texts> [--embedding col] [--text-embedding col] [--prompts file.txt]
    [--logit-scale 100] [--backend auto|webgpu|wasm|js] [--threads N] [-o out.(csv|parquet|arrow)] [--json]
  CLIP zero-shot scoring: cosine similarity of every image embedding to every text embedding,
  × logit scale, softmax over texts. The output keeps the images' other columns and adds
  "label" (index of the best text, int32) and prob_0 … prob_{T-1}; --prompts (one line per
  text) adds counts per prompt to the summary.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  embedding: { type: 'string' },
  'text-embedding': { type: 'string' },
  prompts: { type: 'string' },
  'logit-scale': { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

export async function similarity(argv: string[]): Promise<void> {
  const { values, positionals } = parse('similarity', argv, OPTIONS, ['images', 'texts']);
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const imageSource = await openTable(positionals[0]!);
  const texts = await readMatrix(await openTable(positionals[1]!), { embedding: stringOption(values, 'text-embedding') });
  const prompts = await readPrompts(stringOption(values, 'prompts'), texts.matrix.rows);

  const engine = await Engine.create(engineOptions(values));
  try {
    // The image embeddings (millions of rows) go to the backend chunk by chunk as they are read.
    const loading = performance.now();
    const images = await engine.load(imageSource, { embedding: stringOption(values, 'embedding') });
    const started = performance.now();
    const loadSeconds = (started - loading) / 1000;
    const scored = await engine.similarity(images, texts.matrix, { logitScale: numberOption(values, 'logit-scale') });
    const seconds = (performance.now() - started) / 1000;
    const { columns: imageColumns, rows, cols: d } = images;
    images.dispose();
    const t = scored.texts;

    if (output) {
      const probabilities = new Matrix(rows, t, [{ rowStart: 0, rows, data: scored.scores }]).columnArrays();
      const append: NewColumn[] = [{ name: 'label', values: scored.labels }, ...probabilities.map((values, j) => ({ name: `prob_${j}`, values }))];
      await writeWithColumns(imageSource, output, append, imageColumns);
    }

    const counts = new Array<number>(t).fill(0);
    for (const label of scored.labels) counts[label]! += 1;
    const result = {
      backend: engine.backend,
      images: rows,
      texts: t,
      d,
      seconds,
      loadSeconds,
      counts,
      ...(prompts ? { prompts } : {}),
      ...(output ? { output } : {}),
    };
    emit(values.json, result, () =>
      [
        `${result.images} images scored against ${t} texts (${engine.backend}, ${seconds.toFixed(3)} s); best text per image:`,
        ...counts.map((c, j) => `  ${String(c).padStart(7)}  ${((100 * c) / result.images).toFixed(1).padStart(5)}%  ${prompts?.[j] ?? `text ${j}`}`),
        ...(output ? [`wrote ${output}`] : []),
      ].join('\n'),
    );
  } finally {
    engine.dispose();
  }
}

/** One prompt per non-empty line; there must be exactly one per text embedding. */
async function readPrompts(path: string | undefined, texts: number): Promise<string[] | undefined> {
  if (path === undefined) return undefined;
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw fileError(path, `cannot be read (${(error as Error).message})`, error);
  });
  const prompts = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  if (prompts.length !== texts) throw optionError('--prompts', `${path} has ${prompts.length} prompts for ${texts} text embeddings`);
  return prompts;
}
