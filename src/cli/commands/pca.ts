import { Engine } from '../../engine.js';
import { optionError } from '../../errors.js';
import { scaleMatrix } from '../../prep/matrix-scale.js';
import { PCA_SIGN_FLIPS } from '../../prep/pca.js';
import { SCALE_METHODS } from '../../prep/stats.js';
import { choiceOption, COMMON_OPTIONS, integerOption, parse, stringOption } from '../args.js';
import { checkOutputPath, engineOptions, FEATURE_OPTIONS, readFeatures, writeWithColumns } from '../features.js';
import { emit } from '../output.js';
import { note } from '../progress.js';

export const PCA_USAGE = `clusterkit pca <input> [--components N] [--columns a,b,c | --embedding col] [--exclude a,b]
    [--scale none|standard|minmax|robust] [--whiten] [--sign components|scores]
    [--backend auto|webgpu|wasm|js] [--threads N] [-o out.(csv|parquet|arrow)] [--json]
  Principal component analysis (scikit-learn's PCA): N components (default all). -o writes the
  input's columns plus pc_1 … pc_N (float32); --json prints the explained variance and its
  ratios, singular values, column means and the components (N lists of loadings). --sign:
  components (default; largest loading positive, scikit-learn ≥ 1.5) or scores (largest score
  positive, scikit-learn ≤ 1.4).`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...FEATURE_OPTIONS,
  components: { type: 'string' },
  whiten: { type: 'boolean' },
  sign: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

export async function pca(argv: string[]): Promise<void> {
  const { values, positionals } = parse('pca', argv, OPTIONS, ['input']);
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const requested = integerOption(values, 'components');
  const scale = choiceOption(values, 'scale', ['none', ...SCALE_METHODS] as const) ?? 'none';
  const signFlip = choiceOption(values, 'sign', PCA_SIGN_FLIPS) ?? 'components';
  const { source, matrix: raw, columns } = await readFeatures(positionals[0]!, { ...values, scale: undefined });
  const limit = Math.min(raw.rows, raw.cols);
  if (raw.rows < 2) throw optionError('pca', `PCA needs at least 2 rows; ${source.path} has ${raw.rows}`);
  if (requested !== undefined && (requested < 1 || requested > limit)) {
    throw optionError('--components', `must be between 1 and ${limit} (the smaller of ${raw.rows} rows and ${raw.cols} features), got ${requested}`);
  }
  const matrix = scale === 'none' ? raw : scaleMatrix(raw, scale).matrix;

  const engine = await Engine.create(engineOptions(values));
  try {
    note(`${matrix.rows} rows × ${matrix.cols} features on ${engine.description}`);
    const started = performance.now();
    const model = await engine.pca(matrix, { components: requested, whiten: Boolean(values.whiten), signFlip });
    const k = model.components.rows;
    const scores = output ? await model.transform(matrix) : undefined;
    const seconds = (performance.now() - started) / 1000;

    if (output && scores) {
      const append = scores.columnArrays().map((values, c) => ({ name: `pc_${c + 1}`, values }));
      await writeWithColumns(source, output, append);
    }

    const loadings = model.components.toFloat32Array();
    const result = {
      backend: engine.backend,
      n: matrix.rows,
      d: matrix.cols,
      k,
      scale,
      whiten: model.whiten,
      explainedVarianceRatio: Array.from(model.explainedVarianceRatio),
      explainedVariance: Array.from(model.explainedVariance),
      singularValues: Array.from(model.singularValues),
      noiseVariance: model.noiseVariance,
      mean: Array.from(model.mean),
      components: Array.from({ length: k }, (_, c) => Array.from(loadings.subarray(c * matrix.cols, (c + 1) * matrix.cols))),
      columns,
      seconds,
      ...(output ? { output } : {}),
    };
    let cumulative = 0;
    emit(values.json, result, () =>
      [
        `PCA of ${result.n} rows × ${result.d} features (${engine.backend}${scale === 'none' ? '' : `, ${scale} scaled`}): ${k} components, ${seconds.toFixed(3)} s`,
        ...result.explainedVarianceRatio.map((r, c) => {
          cumulative += r;
          return `  pc_${c + 1}: ${(100 * r).toFixed(2)}% of the variance (cumulative ${(100 * cumulative).toFixed(2)}%)`;
        }),
        ...(output ? [`wrote ${output}`] : []),
      ].join('\n'),
    );
  } finally {
    engine.dispose();
  }
}
